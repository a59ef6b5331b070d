/**
 * Issue #18 item 7 through boto3: what used to be accepted and dropped either works as S3
 * documents it (object and bucket tagging, SSE-C, SSE-S3 and bucket default encryption) or is
 * refused with NotImplemented (lifecycle rules, SSE-KMS) — never a 200 that does nothing.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../helpers/server.js';
import { boto3S3 } from './boto3-s3.js';

const server = useTestServer();

const HELPERS = `def tags(key):
    return [[t['Key'], t['Value']] for t in s3.get_object_tagging(Bucket=b, Key=key)['TagSet']]
def with_header(client, op, name, value):
    def add(params, **kwargs):
        params['headers'][name] = value
    client.meta.events.register('before-call.s3.' + op, add)
    return client
KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
SSE = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': KEY}
WRONG = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': OTHER}
`;

const run = boto3S3(server, 'te', HELPERS);

/** Every stored blob's bytes, to check what is at rest: blob files, or the foreign store's objects (read from moto directly). */
async function blobsAtRest(): Promise<Buffer[]> {
  const foreign = server().foreign;
  if (foreign) {
    const { moto, settings } = foreign;
    const objects = await moto.list(settings.bucket, settings.prefix);
    expect(objects.length).toBeGreaterThan(0);
    return Promise.all(
      objects.map(async (o) => Buffer.from(await (await moto.s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: o.Key }))).Body!.transformToByteArray())),
    );
  }
  const root = join(server().home, 'objects', 'blobs');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => readFileSync(join(root, d, f))));
}

describe('object tagging', () => {
  it('stores tags from PutObjectTagging and x-amz-tagging, counts them on GET/HEAD, copies and replaces them', async () => {
    const r = await run(`
s3.put_object(Bucket=b, Key='k', Body=b'x', Tagging='team=ml&stage=raw')
on_put = tags('k')
count = s3.head_object(Bucket=b, Key='k')['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count')
s3.put_object_tagging(Bucket=b, Key='k', Tagging={'TagSet': [{'Key': 'a', 'Value': '1'}]})
replaced = tags('k')
s3.copy_object(Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'k'})
s3.copy_object(Bucket=b, Key='retagged', CopySource={'Bucket': b, 'Key': 'k'}, TaggingDirective='REPLACE', Tagging='z=26')
up = s3.create_multipart_upload(Bucket=b, Key='mp', Tagging='m=p')['UploadId']
e = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=b'p')['ETag']
s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
s3.delete_object_tagging(Bucket=b, Key='k')
too_many = err(lambda: s3.put_object_tagging(Bucket=b, Key='copied', Tagging={'TagSet': [{'Key': str(i), 'Value': ''} for i in range(11)]}))
reserved = err(lambda: s3.put_object(Bucket=b, Key='r', Body=b'', Tagging='aws:x=1'))
long_key = err(lambda: s3.put_object_tagging(Bucket=b, Key='copied', Tagging={'TagSet': [{'Key': 'k' * 129, 'Value': ''}]}))
print(json.dumps({'onPut': on_put, 'count': count, 'replaced': replaced, 'copied': tags('copied'), 'retagged': tags('retagged'),
  'mp': tags('mp'), 'deleted': tags('k'), 'tooMany': too_many, 'reserved': reserved, 'longKey': long_key,
  'missing': err(lambda: s3.get_object_tagging(Bucket=b, Key='nope'))}))
`);
    expect(r.onPut).toEqual([
      ['stage', 'raw'],
      ['team', 'ml'],
    ]);
    expect(r.count).toBe('2');
    expect(r.replaced).toEqual([['a', '1']]);
    expect(r.copied).toEqual([['a', '1']]);
    expect(r.retagged).toEqual([['z', '26']]);
    expect(r.mp).toEqual([['m', 'p']]);
    expect(r.deleted).toEqual([]);
    expect(r.tooMany).toEqual(['InvalidTag', 400]);
    expect(r.reserved).toEqual(['InvalidTag', 400]);
    expect(r.longKey).toEqual(['InvalidTag', 400]);
    expect(r.missing).toEqual(['NoSuchKey', 404]);
  });
});

describe('bucket tagging', () => {
  it('stores, answers and deletes bucket tags; NoSuchTagSet when none', async () => {
    const r = await run(`
before = err(lambda: s3.get_bucket_tagging(Bucket=b))
s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': [{'Key': 'project', 'Value': 'iris'}]})
got = s3.get_bucket_tagging(Bucket=b)['TagSet']
s3.delete_bucket_tagging(Bucket=b)
print(json.dumps({'before': before, 'got': got, 'after': err(lambda: s3.get_bucket_tagging(Bucket=b))}))
`);
    expect(r.before).toEqual(['NoSuchTagSet', 404]);
    expect(r.got).toEqual([{ Key: 'project', Value: 'iris' }]);
    expect(r.after).toEqual(['NoSuchTagSet', 404]);
  });
});

describe('configurations and encryption Slipway cannot honour', () => {
  it('refuses lifecycle rules and SSE-KMS (objects and bucket defaults) with NotImplemented and stores nothing', async () => {
    const r = await run(`
life = err(lambda: s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
  {'ID': 'x', 'Status': 'Enabled', 'Filter': {'Prefix': ''}, 'Expiration': {'Days': 1}}]}))
enc = err(lambda: s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={'Rules': [
  {'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms'}}]}))
kms = err(lambda: s3.put_object(Bucket=b, Key='kms', Body=b'secret', ServerSideEncryption='aws:kms'))
kms_mp = err(lambda: s3.create_multipart_upload(Bucket=b, Key='kms', ServerSideEncryption='aws:kms'))
print(json.dumps({'life': life, 'enc': enc, 'kms': kms, 'kmsMp': kms_mp,
  'lifeAfter': err(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b)),
  'encAfter': err(lambda: s3.get_bucket_encryption(Bucket=b)),
  'stored': err(lambda: s3.head_object(Bucket=b, Key='kms'))}))
`);
    expect(r.life).toEqual(['NotImplemented', 501]);
    expect(r.enc).toEqual(['NotImplemented', 501]);
    expect(r.kms).toEqual(['NotImplemented', 501]);
    expect(r.kmsMp).toEqual(['NotImplemented', 501]);
    expect(r.lifeAfter).toEqual(['NoSuchLifecycleConfiguration', 404]);
    expect(r.encAfter).toEqual(['ServerSideEncryptionConfigurationNotFoundError', 404]);
    expect(r.stored).toEqual(['404', 404]);
  });
});

describe('SSE-S3', () => {
  it('encrypts with the server key on request or by bucket default, and serves the bytes to any reader', async () => {
    const marker = `sse-s3-marker-${randomBytes(8).toString('hex')}`;
    const r = await run(`
data = (${JSON.stringify(marker)} * 100).encode()
put = s3.put_object(Bucket=b, Key='asked', Body=data, ServerSideEncryption='AES256')
g = s3.get_object(Bucket=b, Key='asked', Range='bytes=5-20')
plain = s3.put_object(Bucket=b, Key='plain', Body=data)
s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]})
cfg = s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']
dflt = s3.put_object(Bucket=b, Key='default', Body=data)
copied = s3.copy_object(Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'plain'})
up = s3.create_multipart_upload(Bucket=b, Key='mp')
e = s3.upload_part(Bucket=b, Key='mp', UploadId=up['UploadId'], PartNumber=1, Body=data)['ETag']
s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up['UploadId'], MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})
s3.delete_bucket_encryption(Bucket=b)
after = s3.put_object(Bucket=b, Key='after', Body=data)
print(json.dumps({'put': put.get('ServerSideEncryption'), 'range': g['Body'].read() == data[5:21], 'getHeader': g.get('ServerSideEncryption'),
  'plain': plain.get('ServerSideEncryption'), 'cfg': cfg, 'default': dflt.get('ServerSideEncryption'),
  'copied': [copied.get('ServerSideEncryption'), s3.get_object(Bucket=b, Key='copied')['Body'].read() == data],
  'mp': [up.get('ServerSideEncryption'), s3.head_object(Bucket=b, Key='mp').get('ServerSideEncryption'), s3.get_object(Bucket=b, Key='mp')['Body'].read() == data],
  'after': after.get('ServerSideEncryption'),
  'withKey': err(lambda: s3.get_object(Bucket=b, Key='asked', **SSE)),
  'headerOnRead': err(lambda: with_header(s3, 'HeadObject', 'x-amz-server-side-encryption', 'AES256').head_object(Bucket=b, Key='asked'))}))
`);
    expect(r.put).toBe('AES256');
    expect(r.range).toBe(true);
    expect(r.getHeader).toBe('AES256');
    expect(r.plain).toBeNull();
    expect(r.cfg).toEqual({ SSEAlgorithm: 'AES256' });
    expect(r.default).toBe('AES256');
    expect(r.copied).toEqual(['AES256', true]);
    expect(r.mp).toEqual(['AES256', 'AES256', true]);
    expect(r.after).toBeNull();
    expect(r.withKey).toEqual(['InvalidRequest', 400]);
    expect(r.headerOnRead).toEqual(['400', 400]);
    // Everything but `plain` and `after` is ciphertext on disk.
    const holding = (await blobsAtRest()).filter((blob) => blob.includes(marker));
    expect(holding).toHaveLength(2);
  });
});

describe('SSE-C', () => {
  it('encrypts at rest and serves the bytes only with the same key', async () => {
    const marker = `plaintext-marker-${randomBytes(8).toString('hex')}`;
    const r = await run(`
data = (${JSON.stringify(marker)} * 200).encode()
put = s3.put_object(Bucket=b, Key='k', Body=data, **SSE)
g = s3.get_object(Bucket=b, Key='k', **SSE)
rng = s3.get_object(Bucket=b, Key='k', Range='bytes=1000-1999', **SSE)['Body'].read()
h = s3.head_object(Bucket=b, Key='k', **SSE)
print(json.dumps({'put': put['SSECustomerKeyMD5'] == base64.b64encode(hashlib.md5(bytes(range(32))).digest()).decode(),
  'get': g['Body'].read() == data, 'range': rng == data[1000:2000], 'head': [h['ContentLength'], h['SSECustomerAlgorithm']],
  'noKey': err(lambda: s3.get_object(Bucket=b, Key='k')), 'headNoKey': err(lambda: s3.head_object(Bucket=b, Key='k')),
  'wrongKey': err(lambda: s3.get_object(Bucket=b, Key='k', **WRONG)),
  'keyOnPlain': [s3.put_object(Bucket=b, Key='plain', Body=b'p') and 0, err(lambda: s3.get_object(Bucket=b, Key='plain', **SSE))][1],
  'badAlg': err(lambda: s3.put_object(Bucket=b, Key='x', Body=b'', SSECustomerAlgorithm='AES128', SSECustomerKey=KEY)),
  'withSse': err(lambda: s3.put_object(Bucket=b, Key='x', Body=b'', ServerSideEncryption='AES256', **SSE))}))
`);
    expect(r.put).toBe(true);
    expect(r.get).toBe(true);
    expect(r.range).toBe(true);
    expect(r.head).toEqual([marker.length * 200, 'AES256']);
    expect(r.noKey).toEqual(['InvalidRequest', 400]);
    expect(r.headNoKey).toEqual(['400', 400]);
    // AWS answers 403 to a wrong key (ceph's RGW 400).
    expect(r.wrongKey).toEqual(['AccessDenied', 403]);
    expect(r.keyOnPlain).toEqual(['InvalidRequest', 400]);
    expect(r.badAlg).toEqual(['InvalidEncryptionAlgorithmError', 400]);
    expect(r.withSse).toEqual(['InvalidArgument', 400]);
    expect((await blobsAtRest()).some((blob) => blob.includes(marker))).toBe(false);
  });

  it('encrypts multipart uploads part by part, reads ranges across parts, and re-encrypts on copy', async () => {
    const r = await run(`
import os
p1, p2 = os.urandom(5 * 1024 * 1024 + 7), os.urandom(4099)
up = s3.create_multipart_upload(Bucket=b, Key='mp', **SSE)['UploadId']
no_key_part = err(lambda: s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=p1))
wrong_part = err(lambda: s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=p1, **WRONG))
e1 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1, Body=p1, **SSE)['ETag']
e2 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=2, Body=p2, **SSE)['ETag']
s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
whole = p1 + p2
cut = len(p1)
across = s3.get_object(Bucket=b, Key='mp', Range='bytes=%d-%d' % (cut - 33, cut + 40), **SSE)['Body'].read()
part2 = s3.get_object(Bucket=b, Key='mp', PartNumber=2, **SSE)['Body'].read()
src = {'Bucket': b, 'Key': 'mp'}
copy_key = {'CopySourceSSECustomerAlgorithm': 'AES256', 'CopySourceSSECustomerKey': KEY}
s3.copy_object(Bucket=b, Key='plain-copy', CopySource=src, **copy_key)
s3.copy_object(Bucket=b, Key='rekeyed', CopySource=src, **copy_key, **WRONG)
no_src_key = err(lambda: s3.copy_object(Bucket=b, Key='x', CopySource=src))
up2 = s3.create_multipart_upload(Bucket=b, Key='pc')['UploadId']
pe = s3.upload_part_copy(Bucket=b, Key='pc', UploadId=up2, PartNumber=1, CopySource=src, CopySourceRange='bytes=10-19', **copy_key)['CopyPartResult']['ETag']
s3.complete_multipart_upload(Bucket=b, Key='pc', UploadId=up2, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': pe}]})
print(json.dumps({'noKeyPart': no_key_part, 'wrongPart': wrong_part,
  'whole': s3.get_object(Bucket=b, Key='mp', **SSE)['Body'].read() == whole,
  'across': across == whole[cut - 33:cut + 41], 'part2': part2 == p2,
  'plainCopy': s3.get_object(Bucket=b, Key='plain-copy')['Body'].read() == whole,
  'rekeyed': s3.get_object(Bucket=b, Key='rekeyed', **WRONG)['Body'].read() == whole,
  'rekeyedOldKey': err(lambda: s3.get_object(Bucket=b, Key='rekeyed', **SSE)),
  'noSrcKey': no_src_key,
  'partCopy': s3.get_object(Bucket=b, Key='pc')['Body'].read() == whole[10:20]}))
`);
    expect(r.noKeyPart).toEqual(['InvalidRequest', 400]);
    expect(r.wrongPart).toEqual(['InvalidRequest', 400]);
    expect(r.whole).toBe(true);
    expect(r.across).toBe(true);
    expect(r.part2).toBe(true);
    expect(r.plainCopy).toBe(true);
    expect(r.rekeyed).toBe(true);
    expect(r.rekeyedOldKey).toEqual(['AccessDenied', 403]);
    expect(r.noSrcKey).toEqual(['InvalidRequest', 400]);
    expect(r.partCopy).toBe(true);
  });

});
