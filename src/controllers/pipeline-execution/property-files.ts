/**
 * @module controllers/pipeline-execution/property-files — reads a processing step's PropertyFiles
 * (JSON its container wrote to an output) from the object store once the job completed, with a
 * size budget, for `Std:JsonGet`.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
 */
import type { ObjectStore } from '../../storage/object-store.js';

/** A property file is a small JSON report; anything larger is refused rather than buffered. */
export const MAX_PROPERTY_FILE_BYTES = 1024 * 1024;

export class PropertyFileError extends Error {}

/** `s3://bucket/key` → its parts; undefined for any other URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

export async function readJsonObject(objects: ObjectStore, uri: string): Promise<unknown> {
  const loc = parseS3Uri(uri);
  if (!loc) throw new PropertyFileError(`${uri} is not an s3:// URI`);
  const meta = await objects.headObject(loc.bucket, loc.key).catch(() => undefined);
  if (!meta) throw new PropertyFileError(`${uri} does not exist`);
  if (meta.size > MAX_PROPERTY_FILE_BYTES) throw new PropertyFileError(`${uri} is ${meta.size} bytes, more than the ${MAX_PROPERTY_FILE_BYTES} a property file may have`);
  const { body } = await objects.getObject(loc.bucket, loc.key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > MAX_PROPERTY_FILE_BYTES) {
      body.destroy();
      throw new PropertyFileError(`${uri} is larger than ${MAX_PROPERTY_FILE_BYTES} bytes`);
    }
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new PropertyFileError(`${uri} is not JSON: ${(err as Error).message}`);
  }
}

/** The S3 URI of `FilePath` inside the processing job's output named `OutputName`. */
export function propertyFileUri(describe: Record<string, unknown>, outputName: string, filePath: string): string {
  const outputs = ((describe.ProcessingOutputConfig as { Outputs?: { OutputName: string; S3Output?: { S3Uri?: string } }[] } | undefined)?.Outputs ?? []);
  const out = outputs.find((o) => o.OutputName === outputName);
  if (!out?.S3Output?.S3Uri) throw new PropertyFileError(`the processing job has no S3 output named ${outputName}`);
  return `${out.S3Output.S3Uri.replace(/\/+$/, '')}/${filePath.replace(/^\/+/, '')}`;
}
