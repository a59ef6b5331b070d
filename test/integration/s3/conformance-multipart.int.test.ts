/**
 * S3 conformance of CompleteMultipartUpload through boto3 (issue #18 items 2, 4, 6): a retried
 * Complete, whole-object checksums (COMPOSITE and FULL_OBJECT), and conditional completion.
 */
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../helpers/server.js';
import { boto3S3 } from './boto3-s3.js';

const server = useTestServer();

const HELPERS = `P1, P2 = b'A' * (5 * 1024 * 1024), b'B' * 3000
def upload(key, **create):
    up = s3.create_multipart_upload(Bucket=b, Key=key, **create)
    alg = create.get('ChecksumAlgorithm')
    extra = {'ChecksumAlgorithm': alg} if alg else {}
    parts = []
    for n, data in [(1, P1), (2, P2)]:
        r = s3.upload_part(Bucket=b, Key=key, UploadId=up['UploadId'], PartNumber=n, Body=data, **extra)
        p = {'PartNumber': n, 'ETag': r['ETag']}
        if alg:
            p['Checksum' + alg] = r['Checksum' + alg]
        parts.append(p)
    return up, parts
`;

const run = boto3S3(server, 'mpc', HELPERS);

describe('CompleteMultipartUpload', () => {
  it('answers a retry of a completed upload with the same ETag and checksum (issue #18 item 2)', async () => {
    const r = await run(`
up, parts = upload('k', ChecksumAlgorithm='SHA256')
first = s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], MultipartUpload={'Parts': parts})
again = s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], MultipartUpload={'Parts': parts})
other = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='other-key', UploadId=up['UploadId'], MultipartUpload={'Parts': parts}))
print(json.dumps({'same': [first['ETag'] == again['ETag'], first['ChecksumSHA256'] == again['ChecksumSHA256']], 'other': other,
  'size': s3.head_object(Bucket=b, Key='k')['ContentLength']}))
`);
    expect(r.same).toEqual([true, true]);
    expect(r.other).toEqual(['NoSuchUpload', 404]);
    expect(r.size).toBe(5 * 1024 * 1024 + 3000);
  });

  it('refuses a wrong whole-object ChecksumSHA256 with BadDigest and stores nothing; accepts the right one (issue #18 item 4)', async () => {
    const r = await run(`
up, parts = upload('k', ChecksumAlgorithm='SHA256')
bad = base64.b64encode(hashlib.sha256(b'not it').digest()).decode() + '-2'
wrong = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], ChecksumSHA256=bad, MultipartUpload={'Parts': parts}))
stored = err(lambda: s3.head_object(Bucket=b, Key='k'))
wrong_part = [dict(p) for p in parts]
wrong_part[1]['ChecksumSHA256'] = parts[0]['ChecksumSHA256']
part = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], MultipartUpload={'Parts': wrong_part}))
raw = b''.join(base64.b64decode(p['ChecksumSHA256']) for p in parts)
good = base64.b64encode(hashlib.sha256(raw).digest()).decode() + '-2'
done = s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], ChecksumSHA256=good, MultipartUpload={'Parts': parts})
print(json.dumps({'wrong': wrong, 'stored': stored, 'part': part, 'done': [done['ChecksumSHA256'] == good, done['ChecksumType']]}))
`);
    expect(r.wrong).toEqual(['BadDigest', 400]);
    expect(r.stored).toEqual(['404', 404]);
    expect(r.part).toEqual(['InvalidPart', 400]);
    expect(r.done).toEqual([true, 'COMPOSITE']);
  });

  it('makes a FULL_OBJECT CRC32 upload answer the CRC32 of the whole object (issue #18 item 4)', async () => {
    const r = await run(`
up, parts = upload('k', ChecksumAlgorithm='CRC32', ChecksumType='FULL_OBJECT')
whole = base64.b64encode(zlib.crc32(P1 + P2).to_bytes(4, 'big')).decode()
wrong = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], ChecksumCRC32='AAAAAA==', ChecksumType='FULL_OBJECT', MultipartUpload={'Parts': parts}))
done = s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], ChecksumCRC32=whole, ChecksumType='FULL_OBJECT', MultipartUpload={'Parts': parts})
# botocore validates a full-object CRC32 against the bytes it downloads.
g = s3.get_object(Bucket=b, Key='k', ChecksumMode='ENABLED')
data = g['Body'].read()
sha = err(lambda: s3.create_multipart_upload(Bucket=b, Key='s', ChecksumAlgorithm='SHA256', ChecksumType='FULL_OBJECT'))
print(json.dumps({'created': up['ChecksumType'], 'wrong': wrong, 'done': [done['ChecksumType'], done['ChecksumCRC32'] == whole],
  'get': [g['ChecksumType'], g['ChecksumCRC32'] == whole, data == P1 + P2], 'sha': sha}))
`);
    expect(r.created).toBe('FULL_OBJECT');
    expect(r.wrong).toEqual(['BadDigest', 400]);
    expect(r.done).toEqual(['FULL_OBJECT', true]);
    expect(r.get).toEqual(['FULL_OBJECT', true, true]);
    expect(r.sha).toEqual(['InvalidRequest', 400]);
  });

  it('fails with 412 under If-None-Match: * when the key exists, leaving object and upload in place (issue #18 item 6)', async () => {
    const r = await run(`
s3.put_object(Bucket=b, Key='k', Body=b'existing')
up, parts = upload('k')
cond = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], IfNoneMatch='*', MultipartUpload={'Parts': parts}))
kept = s3.get_object(Bucket=b, Key='k')['Body'].read().decode()
still = len(s3.list_parts(Bucket=b, Key='k', UploadId=up['UploadId'])['Parts'])
up2, parts2 = upload('fresh')
fresh = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='fresh', UploadId=up2['UploadId'], IfNoneMatch='*', MultipartUpload={'Parts': parts2}))
etag = s3.head_object(Bucket=b, Key='k')['ETag']
ifmatch_bad = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], IfMatch='"0123"', MultipartUpload={'Parts': parts}))
ifmatch = err(lambda: s3.complete_multipart_upload(Bucket=b, Key='k', UploadId=up['UploadId'], IfMatch=etag, MultipartUpload={'Parts': parts}))
print(json.dumps({'cond': cond, 'kept': kept, 'still': still, 'fresh': fresh, 'ifmatchBad': ifmatch_bad, 'ifmatch': ifmatch,
  'size': s3.head_object(Bucket=b, Key='k')['ContentLength']}))
`);
    expect(r.cond).toEqual(['PreconditionFailed', 412]);
    expect(r.kept).toBe('existing');
    expect(r.still).toBe(2);
    expect(r.fresh).toBe('ok');
    expect(r.ifmatchBad).toEqual(['PreconditionFailed', 412]);
    expect(r.ifmatch).toBe('ok');
    expect(r.size).toBe(5 * 1024 * 1024 + 3000);
  });
});
