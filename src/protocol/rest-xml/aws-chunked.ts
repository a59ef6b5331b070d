/**
 * @module protocol/rest-xml/aws-chunked — decodes `aws-chunked` request bodies (SigV4 streaming
 * uploads) into the plain object bytes, keeping the trailing headers, and with authentication on
 * verifies each chunk's signature and the trailer's as the bytes pass.
 *
 *   <hex-size>[;chunk-signature=<sig>]\r\n <bytes> \r\n   ... repeated ...
 *   0[;chunk-signature=<sig>]\r\n
 *   [x-amz-checksum-crc32:<b64>\r\n] [x-amz-trailer-signature:<sig>\r\n]
 *   \r\n
 *
 * Used by current SDKs with `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` (JS v3),
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` (signed chunks: Java, Go, MinIO clients).
 * Bytes are pushed on before their chunk's signature is checked; a bad signature fails the stream,
 * and the store discards everything it wrote (nothing uncommitted is visible).
 * Spec: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ServiceError } from '../errors.js';
import { chunkSignature, safeEqual, trailerSignature, type StreamingSigner } from '../sigv4/chunk-signature.js';
import { S3Errors } from './s3-errors.js';

const MAX_LINE = 8192;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

export interface ChunkVerification {
  signer: StreamingSigner;
  /** The trailer must be signed too (`…-PAYLOAD-TRAILER`). */
  trailer: boolean;
}

function signatureMismatch(what: string): ServiceError {
  return new ServiceError(
    'SignatureDoesNotMatch',
    `The request signature we calculated does not match the signature you provided (${what}). Check your key and signing method.`,
    403,
  );
}

export class AwsChunkedDecoder extends Transform {
  /** Trailing headers, lower-cased names (e.g. `x-amz-checksum-crc32`). Complete after 'end'. */
  readonly trailers = new Map<string, string>();
  decodedLength = 0;
  private state: State = 'size';
  private line: Buffer = Buffer.alloc(0);
  private remaining = 0;
  /** Signed chunks: the signature the current chunk claims, its running hash, the chain so far. */
  private claimed: string | undefined;
  private hash: Hash | undefined;
  private previous: string;
  private readonly trailerLines: [string, string][] = [];
  private trailerSig: string | undefined;

  constructor(private readonly verify?: ChunkVerification) {
    super({ readableHighWaterMark: 1024 * 1024 });
    this.previous = verify?.signer.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    // Lenient about the last empty line after the trailers (some writers omit it).
    if (this.state === 'trailer' && this.line.length === 0) {
      try {
        this.finishTrailer();
      } catch (err) {
        return cb(err as Error);
      }
      return cb();
    }
    if (this.state === 'done') cb();
    else cb(S3Errors.incompleteBody());
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const data = buf.subarray(i, i + n);
          this.hash?.update(data);
          this.push(data);
          this.decodedLength += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.endChunk();
            this.state = 'data-crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'data-crlf': {
          const b = buf[i++]!;
          if ((this.remaining === 2 && b !== 0x0d) || (this.remaining === 1 && b !== 0x0a)) {
            throw S3Errors.invalidEncoding('aws-chunked: missing CRLF after chunk data');
          }
          if (--this.remaining === 0) this.state = 'size';
          break;
        }
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, i);
          const end = nl < 0 ? buf.length : nl + 1;
          this.line = this.line.length ? Buffer.concat([this.line, buf.subarray(i, end)]) : buf.subarray(i, end);
          i = end;
          if (nl < 0) {
            if (this.line.length > MAX_LINE) throw S3Errors.invalidEncoding('aws-chunked: line too long');
            this.line = Buffer.from(this.line); // don't pin the caller's chunk
            break;
          }
          const text = this.line.toString('latin1').replace(/\r?\n$/, '');
          this.line = Buffer.alloc(0);
          this.onLine(text);
          break;
        }
        case 'done':
          if (buf.subarray(i).toString('latin1').trim() !== '') {
            throw S3Errors.invalidEncoding('aws-chunked: data after the final chunk');
          }
          return;
      }
    }
  }

  private onLine(text: string): void {
    if (this.state === 'size') {
      const [sizePart, ...exts] = text.split(';');
      const hex = sizePart!.trim();
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw S3Errors.invalidEncoding('aws-chunked: bad chunk size');
      const size = parseInt(hex, 16);
      if (this.verify) this.startChunk(exts);
      if (size === 0) {
        this.endChunk();
        this.state = 'trailer';
      } else {
        this.state = 'data';
        this.remaining = size;
      }
      return;
    }
    if (text === '') {
      this.finishTrailer();
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw S3Errors.invalidEncoding('aws-chunked: bad trailer line');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) this.trailerSig = value.toLowerCase();
    else {
      this.trailers.set(name, value);
      this.trailerLines.push([name, value]);
    }
  }

  private startChunk(extensions: string[]): void {
    const sig = extensions
      .map((e) => e.trim())
      .find((e) => e.startsWith('chunk-signature='))
      ?.slice('chunk-signature='.length)
      .toLowerCase();
    if (!sig) throw signatureMismatch('a chunk has no chunk-signature');
    this.claimed = sig;
    this.hash = createHash('sha256');
  }

  private endChunk(): void {
    if (!this.verify || !this.hash || this.claimed === undefined) return;
    const expected = chunkSignature(this.verify.signer, this.previous, this.hash.digest('hex'));
    if (!safeEqual(expected, this.claimed)) throw signatureMismatch('chunk signature');
    this.previous = expected;
    this.hash = undefined;
    this.claimed = undefined;
  }

  private finishTrailer(): void {
    if (!this.verify?.trailer) return;
    if (this.trailerSig === undefined) throw signatureMismatch('the trailer has no x-amz-trailer-signature');
    const expected = trailerSignature(this.verify.signer, this.previous, this.trailerLines);
    if (!safeEqual(expected, this.trailerSig)) throw signatureMismatch('trailer signature');
  }
}
