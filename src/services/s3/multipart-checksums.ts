/**
 * @module services/s3/multipart-checksums — the checksum rules of multipart uploads: which type an
 * upload gets (COMPOSITE: checksum of the part checksums, `…-N`; FULL_OBJECT: the CRC of the whole
 * object, combined from the parts'), and what CompleteMultipartUpload checks before any bytes move
 * (the whole-object value the client sent, each part's value in the request).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import type { IncomingMessage } from 'node:http';
import { CHECKSUM_HEADERS, compositeChecksum, parseAlgorithm, type ChecksumAlgorithm } from '../../protocol/rest-xml/checksums.js';
import { combineCrcs, isCombinable } from '../../protocol/rest-xml/crc-combine.js';
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import type { ChecksumType, MultipartUpload, PartInfo, StoredChecksum } from '../../storage/s3-backend.js';
import { header } from './call.js';

const ALGORITHMS = Object.keys(CHECKSUM_HEADERS) as ChecksumAlgorithm[];

/** CreateMultipartUpload's `x-amz-checksum-algorithm` and `x-amz-checksum-type`, validated. */
export function uploadChecksumSpec(req: IncomingMessage): { algorithm?: ChecksumAlgorithm; type?: ChecksumType } {
  const rawAlg = header(req, 'x-amz-checksum-algorithm');
  const rawType = header(req, 'x-amz-checksum-type')?.toUpperCase();
  if (rawAlg === undefined) {
    if (rawType !== undefined) throw S3Errors.invalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return {};
  }
  const algorithm = parseAlgorithm(rawAlg);
  if (!algorithm) {
    throw S3Errors.invalidRequest(`Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${ALGORITHMS.join(', ')}]`);
  }
  if (rawType !== undefined && rawType !== 'COMPOSITE' && rawType !== 'FULL_OBJECT') {
    throw S3Errors.invalidRequest('Value for x-amz-checksum-type header is invalid.');
  }
  // CRC64NVME exists only as a full-object checksum; SHA digests cannot be combined.
  const type: ChecksumType = (rawType as ChecksumType | undefined) ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (type === 'FULL_OBJECT' && !isCombinable(algorithm)) {
    throw S3Errors.invalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  }
  if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
    throw S3Errors.invalidRequest('The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  }
  return { algorithm, type };
}

/** A part as listed in the CompleteMultipartUpload body. */
export interface RequestedPart {
  partNumber: number;
  etag: string;
  /** `Checksum<ALG>` elements of the part, by algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export function requestedChecksums(part: Record<string, unknown>): Partial<Record<ChecksumAlgorithm, string>> {
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const alg of ALGORITHMS) {
    const v = part[`Checksum${alg}`];
    if (typeof v === 'string' && v.trim() !== '') out[alg] = v.trim();
  }
  return out;
}

/**
 * The object's checksum from the chosen parts, after checking what the Complete request claims:
 * the whole-object `x-amz-checksum-<alg>` header (BadDigest) and each part's checksum (InvalidPart).
 */
export function completeChecksum(
  req: IncomingMessage,
  requested: readonly RequestedPart[],
  upload: MultipartUpload,
  parts: readonly PartInfo[],
): StoredChecksum | undefined {
  const alg = upload.checksumAlgorithm;
  const sent = ALGORITHMS.map((a) => [a, header(req, CHECKSUM_HEADERS[a])] as const).find(([, v]) => v !== undefined);
  if (!alg) {
    if (sent) throw S3Errors.invalidRequest(`The upload was created without a checksum algorithm; ${CHECKSUM_HEADERS[sent[0]]} cannot be checked.`);
    return undefined;
  }
  const type = upload.checksumType ?? 'COMPOSITE';
  if (parts.some((p) => p.checksum === undefined)) {
    const missing = parts.find((p) => p.checksum === undefined)!;
    throw S3Errors.invalidRequest(`The upload was created using a ${alg.toLowerCase()} checksum. Part ${missing.partNumber} was uploaded without one.`);
  }
  const value =
    type === 'FULL_OBJECT'
      ? combineCrcs(alg, parts.map((p) => ({ checksum: p.checksum!, size: p.size })))
      : compositeChecksum(alg, parts.map((p) => p.checksum!));
  if (sent) {
    if (sent[0] !== alg) {
      throw S3Errors.invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${alg.toLowerCase()}, actual checksum Type: ${sent[0].toLowerCase()}`);
    }
    // COMPOSITE values may be sent with or without their `-N` suffix.
    const claimed = sent[1]!.trim();
    if (claimed !== value && `${claimed}-${parts.length}` !== value) {
      throw S3Errors.badDigest(`The ${alg.toLowerCase()} you specified did not match the calculated checksum.`);
    }
  }
  requested.forEach((r, i) => {
    const claimed = r.checksums[alg];
    if (claimed !== undefined && claimed !== parts[i]!.checksum) throw S3Errors.invalidPart(r.partNumber, r.etag);
    const other = (Object.keys(r.checksums) as ChecksumAlgorithm[]).find((a) => a !== alg);
    if (other) throw S3Errors.invalidRequest(`The upload was created using a ${alg.toLowerCase()} checksum; part ${r.partNumber} names ${other.toLowerCase()}.`);
  });
  return { algorithm: alg, value, type };
}
