/**
 * @module resources/data-capture — an endpoint config's DataCaptureConfig turned into
 * what the data plane needs per request (published with the route, so a request reads no storage).
 */
import { parseDataUri } from './s3-uri.js';
import type { DataCaptureConfigDoc } from './endpoint-config.js';

export interface CaptureSettings {
  bucket: string;
  /** Key prefix without trailing slash ('' for the bucket root). */
  prefix: string;
  samplingPercentage: number;
  input: boolean;
  output: boolean;
  /** Media types (lower case, no parameters) recorded as text with encoding CSV / JSON; others BASE64. */
  csvTypes: ReadonlySet<string>;
  jsonTypes: ReadonlySet<string>;
}

// Without CaptureContentTypeHeader SageMaker base64-encodes everything (the model's documentation);
// the SageMaker Python SDK sends text/csv and application/json explicitly.

export function captureSettings(c: DataCaptureConfigDoc | undefined): CaptureSettings | undefined {
  if (!c || c.EnableCapture === false) return undefined;
  const loc = parseDataUri(c.DestinationS3Uri);
  if (loc?.scheme !== 's3') return undefined;
  const modes = new Set(c.CaptureOptions.map((o) => o.CaptureMode));
  const lower = (list: string[] | undefined) => new Set((list ?? []).map((t) => t.toLowerCase()));
  return {
    bucket: loc.bucket,
    prefix: loc.key.replace(/\/+$/, ''),
    samplingPercentage: c.InitialSamplingPercentage,
    input: modes.has('Input') || modes.has('InputAndOutput'),
    output: modes.has('Output') || modes.has('InputAndOutput'),
    csvTypes: lower(c.CaptureContentTypeHeader?.CsvContentTypes),
    jsonTypes: lower(c.CaptureContentTypeHeader?.JsonContentTypes),
  };
}
