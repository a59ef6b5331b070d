/**
 * @module services/s3/backend — what the S3 surface needs from storage beyond `ObjectStore`
 * (bucket ops, listing with delimiters, copy, multipart). `SqliteObjectStore` implements it.
 */
import type { Readable } from 'node:stream';
import type { ByteRange, ObjectMeta, ObjectStore, PutOptions } from '../../storage/object-store.js';

import type { ChecksumAlgorithm } from '../../protocol/rest-xml/checksums.js';

export type { ChecksumAlgorithm };

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64 as on the wire; composite multipart values end in `-N`. */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
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
}

export interface PartInfo {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: Date;
  checksum?: string;
}

export interface CopyOptions {
  /** REPLACE takes contentType/metadata/headers from the request; COPY keeps the source's. */
  metadataDirective: 'COPY' | 'REPLACE';
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: Record<string, string>;
  /** Source conditions (x-amz-copy-source-if-*), checked against the source in the same tick. */
  checkSource?: (src: StoredObject) => void;
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

  headObject(bucket: string, key: string): Promise<StoredObject | undefined>;
  /**
   * Looks the object up and opens its bytes atomically. `pick` sees the metadata and returns the
   * byte range to read (or throws, e.g. InvalidRange / PreconditionFailed). Throws NoSuchKey.
   */
  openObject(bucket: string, key: string, pick?: (meta: StoredObject) => ByteRange | undefined): Promise<OpenedObject>;
  writeObject(bucket: string, key: string, body: Readable, opts?: WriteOptions): Promise<StoredObject>;
  listObjects(bucket: string, query: ListQuery): Promise<ListPage>;
  copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, opts: CopyOptions): Promise<StoredObject>;

  createMultipartUpload(
    bucket: string,
    key: string,
    opts: { contentType?: string; metadata?: Record<string, string>; headers?: Record<string, string>; checksumAlgorithm?: ChecksumAlgorithm },
  ): Promise<MultipartUpload>;
  getUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts?: Pick<WriteOptions, 'beforeCommit' | 'tap' | 'expectedSize'>,
  ): Promise<PartInfo>;
  listParts(bucket: string, key: string, uploadId: string, after: number, maxParts: number): Promise<{ parts: PartInfo[]; isTruncated: boolean }>;
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    /** Derives the object's checksum from the chosen parts (composite `...-N`), if any. */
    composeChecksum?: (upload: MultipartUpload, parts: PartInfo[]) => StoredChecksum | undefined,
  ): Promise<StoredObject>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listMultipartUploads(bucket: string, prefix: string): Promise<MultipartUpload[]>;
}
