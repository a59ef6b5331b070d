/**
 * @module protocol/rest-xml/aws-chunked — decodes `Content-Encoding: aws-chunked` request bodies
 * (SigV4 streaming uploads) into the plain object bytes, keeping the trailing headers.
 *
 *   <hex-size>[;chunk-signature=<sig>]\r\n <bytes> \r\n   ... repeated ...
 *   0[;chunk-signature=<sig>]\r\n
 *   [x-amz-checksum-crc32:<b64>\r\n] [x-amz-trailer-signature:<sig>\r\n]
 *   \r\n
 *
 * Used by current SDKs with `x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER` (JS v3),
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` (signed chunks). Chunk signatures are not
 * verified: Slipway accepts any credentials. Spec:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { Transform, type TransformCallback } from 'node:stream';
import { S3Errors } from './s3-errors.js';

const MAX_LINE = 8192;

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailing headers, lower-cased names (e.g. `x-amz-checksum-crc32`). Complete after 'end'. */
  readonly trailers = new Map<string, string>();
  decodedLength = 0;
  private state: State = 'size';
  private line: Buffer = Buffer.alloc(0);
  private remaining = 0;

  constructor() {
    super({ readableHighWaterMark: 1024 * 1024 });
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
    if (this.state === 'done' || (this.state === 'trailer' && this.line.length === 0)) cb();
    else cb(S3Errors.incompleteBody());
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          this.push(buf.subarray(i, i + n));
          this.decodedLength += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
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
      const hex = text.split(';', 1)[0]!.trim();
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw S3Errors.invalidEncoding('aws-chunked: bad chunk size');
      const size = parseInt(hex, 16);
      if (size === 0) this.state = 'trailer';
      else {
        this.state = 'data';
        this.remaining = size;
      }
      return;
    }
    if (text === '') {
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw S3Errors.invalidEncoding('aws-chunked: bad trailer line');
    this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }
}
