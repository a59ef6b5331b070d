/**
 * @module services/s3/request-body — turns an upload request into verified object bytes:
 * aws-chunked decoding (with chunk signatures when authentication is on), Content-MD5,
 * x-amz-checksum-* (header or trailer) and a hex x-amz-content-sha256 (the signed payload hash
 * clients send over plain HTTP) verification.
 *
 *   req ─► [AwsChunkedDecoder if STREAMING-*] ─► store (tap: checksum) ─► verify() before commit
 *
 * `verify` runs while the new blob is durable but not yet visible, so a BadDigest leaves the old
 * object in place.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { AwsChunkedDecoder } from '../../protocol/rest-xml/aws-chunked.js';
import {
  algorithmOfHeader,
  CHECKSUM_HEADERS,
  newChecksummer,
  parseAlgorithm,
  type ChecksumAlgorithm,
  type Checksummer,
} from '../../protocol/rest-xml/checksums.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import type { StreamingSigner } from '../../protocol/sigv4/chunk-signature.js';
import type { StoredChecksum, WrittenBody } from '../../storage/s3-backend.js';

export interface PreparedBody {
  body: Readable;
  /** Decoded size the client declared (x-amz-decoded-content-length or Content-Length). */
  expectedSize?: number;
  tap?: (chunk: Buffer) => void;
  beforeCommit: (w: WrittenBody) => { checksum?: StoredChecksum };
  /** Headers to echo on the PUT/UploadPart response once verified (x-amz-checksum-*). */
  responseHeaders: () => Record<string, string>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isBase64(s: string, bytes: number): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === bytes;
}

export interface PrepareOptions {
  defaultAlgorithm?: ChecksumAlgorithm;
  /** The verified seed signature of a signed streaming upload (authentication on). */
  streamingSigner?: StreamingSigner | undefined;
}

export function prepareBody(req: IncomingMessage, opts: PrepareOptions = {}): PreparedBody {
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  // The payload hash says whether the body is chunk-framed, not Content-Encoding: `aws-chunked`
  // there may come with an unframed body (it is only stripped from the stored encoding).
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
  const chunked = sha.startsWith('STREAMING-');

  let body: Readable = req;
  let decoder: AwsChunkedDecoder | undefined;
  if (chunked) {
    // With authentication on, the authenticator set the signer only after checking the seed signature.
    const signed = sha.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    decoder = new AwsChunkedDecoder(
      signed && opts.streamingSigner ? { signer: opts.streamingSigner, trailer: sha.endsWith('-TRAILER') } : undefined,
    );
    // Errors on either side destroy both; the store's pipeline then rejects and discards the blob.
    body = pipeline(req, decoder, () => undefined);
  }

  // Which checksum: a value in a header now, one named by x-amz-trailer later, or just an algorithm.
  let algorithm: ChecksumAlgorithm | undefined;
  let expected: string | undefined;
  for (const [alg, h] of Object.entries(CHECKSUM_HEADERS) as [ChecksumAlgorithm, string][]) {
    const v = header(req, h);
    if (v !== undefined) {
      algorithm = alg;
      expected = v.trim();
      break;
    }
  }
  const trailerName = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  const trailerAlg = trailerName ? algorithmOfHeader(trailerName) : undefined;
  if (!algorithm && trailerAlg) algorithm = trailerAlg;
  if (!algorithm) {
    algorithm = parseAlgorithm(header(req, 'x-amz-sdk-checksum-algorithm') ?? header(req, 'x-amz-checksum-algorithm')) ?? opts.defaultAlgorithm;
  }

  const md5Header = header(req, 'content-md5')?.trim();
  if (md5Header !== undefined && !isBase64(md5Header, 16)) throw S3Errors.invalidDigest();

  const decodedLength = header(req, 'x-amz-decoded-content-length');
  const checksummer: Checksummer | undefined = algorithm ? newChecksummer(algorithm) : undefined;
  // A hex payload hash is what the signature covers: S3 checks the bytes against it
  // (XAmzContentSHA256Mismatch), so a signed request's body cannot be swapped.
  const payloadSha = !chunked && /^[0-9a-f]{64}$/i.test(sha) ? createHash('sha256') : undefined;
  const taps = [checksummer && ((c: Buffer) => checksummer.update(c)), payloadSha && ((c: Buffer) => payloadSha.update(c))].filter(
    (t): t is (c: Buffer) => void => t !== undefined,
  );
  const tap = taps.length === 0 ? undefined : taps.length === 1 ? taps[0] : (c: Buffer) => taps.forEach((t) => t(c));
  let computed: string | undefined;

  const declared = Number(decodedLength ?? (chunked ? undefined : header(req, 'content-length')));
  return {
    body,
    ...(Number.isFinite(declared) ? { expectedSize: declared } : {}),
    ...(tap ? { tap } : {}),
    beforeCommit(w) {
      if (decoder && decodedLength !== undefined && Number(decodedLength) !== w.size) throw S3Errors.incompleteBody();
      if (payloadSha) {
        const got = payloadSha.digest('hex');
        if (got !== sha.toLowerCase()) throw S3Errors.contentSha256Mismatch(sha, got);
      }
      if (md5Header !== undefined && md5Header !== w.md5.toString('base64')) throw S3Errors.badDigest();
      if (!algorithm || !checksummer) return {};
      computed = checksummer.digest();
      const claimed = expected ?? (trailerName ? decoder?.trailers.get(trailerName) : undefined);
      if (claimed !== undefined && claimed !== computed) {
        throw S3Errors.badDigest(`The ${algorithm} you specified did not match the calculated checksum.`);
      }
      return { checksum: { algorithm, value: computed, type: 'FULL_OBJECT' } };
    },
    responseHeaders(): Record<string, string> {
      if (!algorithm || computed === undefined) return {};
      return { [CHECKSUM_HEADERS[algorithm]]: computed, 'x-amz-checksum-type': 'FULL_OBJECT' };
    },
  };
}
