/**
 * @module services/s3/bucket-encryption — Put/Get/DeleteBucketEncryption. A bucket's default
 * encryption applies SSE-S3 to every new object that asks for no encryption of its own; SSE-KMS
 * defaults are refused (no key service here). https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
 */
import { S3Errors } from '../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody } from '../../protocol/rest-xml/xml.js';
import { sendEmpty, sendXml, type BucketCall } from './call.js';

export async function putBucketEncryption(call: BucketCall): Promise<void> {
  const doc = parseXml(await readSmallBody(call.req, 64 * 1024))['ServerSideEncryptionConfiguration'];
  if (!doc || typeof doc !== 'object') throw S3Errors.malformedXml();
  const rule = (doc as Record<string, unknown>)['Rule'];
  const r = (Array.isArray(rule) ? rule[0] : rule) as Record<string, unknown> | undefined;
  const apply = r?.['ApplyServerSideEncryptionByDefault'] as Record<string, unknown> | undefined;
  const alg = typeof apply?.['SSEAlgorithm'] === 'string' ? apply['SSEAlgorithm'].trim() : undefined;
  if (!alg) throw S3Errors.malformedXml();
  if (alg === 'aws:kms' || alg === 'aws:kms:dsse') throw S3Errors.notImplemented('SSEAlgorithm aws:kms');
  if (alg !== 'AES256') throw S3Errors.malformedXml();
  const bucketKey = String(r?.['BucketKeyEnabled'] ?? '').trim() === 'true';
  await call.store.setBucketEncryption(call.bucket, { algorithm: 'AES256', ...(bucketKey ? { bucketKeyEnabled: true } : {}) });
  sendEmpty(call, 200);
}

export async function getBucketEncryption(call: BucketCall): Promise<void> {
  const cfg = await call.store.getBucketEncryption(call.bucket);
  if (!cfg) {
    throw S3Errors.noSuchConfiguration(
      'ServerSideEncryptionConfigurationNotFoundError',
      'The server side encryption configuration was not found',
      call.bucket,
    );
  }
  sendXml(call, 200, 'ServerSideEncryptionConfiguration', {
    Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: cfg.algorithm }, BucketKeyEnabled: cfg.bucketKeyEnabled ?? false },
  });
}

export async function deleteBucketEncryption(call: BucketCall): Promise<void> {
  await call.store.setBucketEncryption(call.bucket, undefined);
  sendEmpty(call, 204);
}
