/**
 * @module test/integration/s3/boto3-s3 — the set-up the boto3 S3 conformance files share: a boto3
 * client `s3` on the test server, a fresh bucket `b` per script, and `err(f)` → `[code, status]`
 * or `'ok'`; each file adds its own Python helpers after it.
 */
import { randomBytes } from 'node:crypto';
import { python, type TestServer } from '../../helpers/server.js';

const PRELUDE = `
import json, sys, base64, hashlib, zlib, boto3, botocore
s3 = boto3.client('s3', region_name='us-east-1')
b = BUCKET
s3.create_bucket(Bucket=b)
def err(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
`;

/** A fresh bucket name with this file's prefix. */
export const bucketNamed = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Runs `helpers` + `script` after the prelude in a bucket of its own; resolves the script's JSON output. */
export function boto3S3(server: () => TestServer, bucketPrefix: string, helpers = ''): (script: string) => Promise<any> {
  return (script) => python(server().url, PRELUDE.replace('BUCKET', JSON.stringify(bucketNamed(bucketPrefix))) + helpers + script);
}
