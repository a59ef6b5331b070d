/**
 * @module storage/s3-backend — what the S3 surface needs from storage beyond `ObjectStore`
 * (bucket ops, listing with delimiters, copy, multipart). `SqlObjectStore` (storage/objects) implements it.
 */
import type { Readable } from 'node:stream';
import type { ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';

import type { ChecksumAlgorithm } from '../protocol/rest-xml/checksums.js';
import type { KeyVerifier } from './blobs/ctr-cipher.js';


export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** One part of a completed multipart object, in object order (GET ?partNumber=N is the N-th). */
export interface ObjectPart {
  size: number;
  /** The part's own checksum (base64), when the upload had an algorithm. */
  checksum?: string;
  /** SSE-C: the counter IV the part was encrypted from. */
  iv?: string;
}

/** A customer-provided key (SSE-C) as sent: 32 raw bytes and their base64 MD5. */
export interface SseCustomerKey {
  key: Buffer;
  keyMd5: string;
}

/** What is stored of an SSE-C key: the verifier and, for single-part objects, the IV. */
export interface SseCustomerRecord extends KeyVerifier {
  kind: 'customer';
  algorithm: 'AES256';
  keyMd5: string;
  iv?: string;
}

/** SSE-S3: encrypted with the server's own key (storage/blobs/server-key). */
export interface SseS3Record {
  kind: 's3';
  algorithm: 'AES256';
  iv?: string;
}

/** How an object's bytes are encrypted at rest (multipart objects: IVs per part). */
export type EncryptionRecord = SseCustomerRecord | SseS3Record;

/** The encryption a write asks for: the client's key (SSE-C) or the server's (SSE-S3). */
export type EncryptionRequest = { customer: SseCustomerKey } | { s3: true };

/** A bucket's default encryption (PutBucketEncryption): only SSE-S3 exists here. */
export interface BucketEncryption {
  algorithm: 'AES256';
  bucketKeyEnabled?: boolean;
}

/** One bucket CORS rule, as PutBucketCors gives it. */
export interface CorsRule {
  id?: string;
  allowedMethods: string[];
  allowedOrigins: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** Bucket configurations stored whole: PutBucketWebsite's (as JSON) and PutBucketPolicy's (verbatim). */
export type BucketDocument = 'website' | 'policy';

/** Object or bucket tags, in the order they were given. */
export type TagSet = [string, string][];

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64 as on the wire; composite multipart values end in `-N`. */
  value: string;
  type: ChecksumType;
}

export interface BucketInfo {
  name: string;
  region: string;
  creationDate: Date;
}

export interface StoredObject extends ObjectMeta {
  /** Stored representation headers: content-disposition, content-encoding, cache-control, content-language, expires. */
  headers: Record<string, string>;
  checksum?: StoredChecksum;
  /** Set for objects made by CompleteMultipartUpload. */
  parts?: ObjectPart[];
  tags: TagSet;
  sse?: EncryptionRecord;
}

/** Result of a verified write, handed to `beforeCommit` while the bytes are durable but invisible. */
export interface WrittenBody {
  size: number;
  md5: Buffer;
}

export interface WriteOptions extends PutOptions {
  headers?: Record<string, string>;
  /**
   * Runs after the body is durable in a new blob and before the object becomes visible. Throw
   * (e.g. BadDigest) to discard the write; return the checksum to store with the object.
   */
  beforeCommit?: (written: WrittenBody) => { checksum?: StoredChecksum } | void;
  /** Conditional write: `*` fails with PreconditionFailed when the key exists; an ETag must match. */
  ifNoneMatch?: string;
  ifMatch?: string;
  /** Sees every body chunk as it is written (request checksums), without another stream stage. */
  tap?: (chunk: Buffer) => void;
  /** Declared body size, if known: large bodies hash on a worker thread. */
  expectedSize?: number;
  tags?: TagSet;
  /** Encrypt the bytes at rest (SSE-C with the client's key, SSE-S3 with the server's). */
  sse?: EncryptionRequest;
}

export interface ListQuery {
  prefix: string;
  delimiter?: string;
  /** Exclusive lower bound (start-after, marker, continuation token). */
  after?: string;
  maxKeys: number;
}

export interface ListPage {
  contents: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last key or common prefix returned: where the next page starts (exclusive). */
  last?: string;
}

export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  tags: TagSet;
  /** SSE-C: every part must be sent with this key; SSE-S3: parts are encrypted with the server's. */
  sse?: EncryptionRecord;
}

export interface PartInfo {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: Date;
  checksum?: string;
  iv?: string;
}

/** What a CompleteMultipartUpload produced, kept so a retry answers the same (see `completedUpload`). */
export interface CompletedUpload {
  bucket: string;
  key: string;
  etag: string;
  checksum?: StoredChecksum;
}

export interface CreateUploadOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  tags?: TagSet;
  sse?: EncryptionRequest;
}

export interface CompleteOptions {
  /**
   * Derives the object's checksum from the chosen parts, before any bytes move; throws to refuse
   * the completion (BadDigest, InvalidPart).
   */
  composeChecksum?: (upload: MultipartUpload, parts: PartInfo[]) => StoredChecksum | undefined;
  /** Conditional write, as for PutObject. */
  ifNoneMatch?: string;
  ifMatch?: string;
}

export interface PartWriteOptions extends Pick<WriteOptions, 'beforeCommit' | 'tap' | 'expectedSize'> {
  /** The client's key, for a part of an SSE-C upload. */
  customerKey?: SseCustomerKey;
}

export interface CopyOptions {
  /** REPLACE takes contentType/metadata/headers from the request; COPY keeps the source's. */
  metadataDirective: 'COPY' | 'REPLACE';
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: Record<string, string>;
  /** Source conditions (x-amz-copy-source-if-*), checked against the source in the same tick. */
  checkSource?: (src: StoredObject) => void;
  /** Replaces the source's tags (x-amz-tagging-directive: REPLACE). */
  tags?: TagSet;
}

export interface OpenedObject {
  meta: StoredObject;
  body: Readable;
  range?: ByteRange;
}

export interface S3Backend extends ObjectStore {
  listBuckets(): Promise<BucketInfo[]>;
  createBucket(bucket: string, region?: string): Promise<void>;
  getBucket(bucket: string): Promise<BucketInfo | undefined>;
  deleteBucket(bucket: string): Promise<void>;

  /**
   * The object's metadata as the S3 surface sees it (SSE-C objects included). `headObject`, the
   * internal readers' call, refuses SSE-C objects: Slipway has no key to read them with.
   */
  statObject(bucket: string, key: string): Promise<StoredObject | undefined>;
  headObject(bucket: string, key: string): Promise<StoredObject | undefined>;
  /**
   * Looks the object up and opens its bytes atomically. `pick` sees the metadata and returns the
   * byte range to read (or throws, e.g. InvalidRange / PreconditionFailed). Throws NoSuchKey.
   * `needBody` (asked after `pick`) false: the body is empty and the bytes are never opened (HEAD,
   * 304), which saves a foreign store a GET.
   */
  openObject(bucket: string, key: string, pick?: (meta: StoredObject) => ByteRange | undefined, needBody?: () => boolean): Promise<OpenedObject>;
  writeObject(bucket: string, key: string, body: Readable, opts?: WriteOptions): Promise<StoredObject>;
  /**
   * The plaintext of `body`, opened from `openObject` at byte `start`: decrypted for encrypted
   * objects (SSE-C needs the client's key, already checked), `body` itself otherwise.
   */
  plaintext(meta: StoredObject, body: Readable, start: number, customerKey?: SseCustomerKey): Readable;
  listObjects(bucket: string, query: ListQuery): Promise<ListPage>;
  copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, opts: CopyOptions): Promise<StoredObject>;

  /** Replaces the object's tags (PutObjectTagging, DeleteObjectTagging); NoSuchKey if it is gone. */
  setObjectTags(bucket: string, key: string, tags: TagSet): Promise<void>;
  /** Bucket tags; undefined when none were ever set (S3's NoSuchTagSet). */
  getBucketTags(bucket: string): Promise<TagSet | undefined>;
  setBucketTags(bucket: string, tags: TagSet | undefined): Promise<void>;
  /** Default encryption of new objects; undefined when none is set. */
  getBucketEncryption(bucket: string): Promise<BucketEncryption | undefined>;
  setBucketEncryption(bucket: string, config: BucketEncryption | undefined): Promise<void>;
  /** Bucket CORS rules; undefined when none are set. */
  getBucketCors(bucket: string): Promise<CorsRule[] | undefined>;
  setBucketCors(bucket: string, rules: CorsRule[] | undefined): Promise<void>;
  /** A bucket document kept as text (website configuration JSON, policy as given); undefined when unset. */
  getBucketDocument(bucket: string, kind: BucketDocument): Promise<string | undefined>;
  setBucketDocument(bucket: string, kind: BucketDocument, text: string | undefined): Promise<void>;

  createMultipartUpload(bucket: string, key: string, opts: CreateUploadOptions): Promise<MultipartUpload>;
  getUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts?: PartWriteOptions,
  ): Promise<PartInfo>;
  listParts(bucket: string, key: string, uploadId: string, after: number, maxParts: number): Promise<{ parts: PartInfo[]; isTruncated: boolean }>;
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    opts?: CompleteOptions,
  ): Promise<StoredObject>;
  /** A recently completed upload of this bucket and key (a retried Complete answers with it). */
  completedUpload(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | undefined>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listMultipartUploads(bucket: string, prefix: string): Promise<MultipartUpload[]>;
}
