/** @module resources/s3-uri — parses the `s3://` and `file://` URIs SageMaker requests carry. */
import { fileURLToPath } from 'node:url';

export type DataLocation =
  | { scheme: 's3'; bucket: string; key: string }
  /** Slipway extension: local data outside the store (SageMaker itself accepts only s3://). */
  | { scheme: 'file'; path: string };

const S3_URI = /^(?:s3|https):\/\/([^/]+)\/?(.*)$/s;

/** Parses `s3://bucket/key/prefix` or `file:///abs/path`; undefined when neither. */
export function parseDataUri(uri: string): DataLocation | undefined {
  if (uri.startsWith('file://')) {
    try {
      return { scheme: 'file', path: fileURLToPath(uri) };
    } catch {
      return undefined;
    }
  }
  const m = S3_URI.exec(uri);
  if (!m?.[1]) return undefined;
  return { scheme: 's3', bucket: m[1], key: m[2] ?? '' };
}

/** Joins URI parts with single slashes: `s3://b/out/` + `job` + `output/model.tar.gz`. */
export function joinUri(base: string, ...parts: string[]): string {
  let out = base.replace(/\/+$/, '');
  for (const p of parts) out += '/' + p.replace(/^\/+|\/+$/g, '');
  return out;
}
