/**
 * ECR's API through boto3 and the aws CLI, against a real server with its real registry: images
 * are pushed over the registry API (the requests docker push makes), so DescribeImages and the
 * batch calls see what the registry stored.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { python, useTestServer } from '../../helpers/server.js';
import { aws, ociErrors, pushTinyImage, sha256 } from './helpers.js';

const rand = () => randomBytes(4).toString('hex');

/** boto3 `ecr` client calls; each call's error is returned as {error: code, message}. */
function ecrScript(body: string): string {
  return `
import json, boto3, botocore
ecr = boto3.client("ecr")
def call(name, **kw):
    try:
        out = getattr(ecr, name)(**kw)
        out.pop("ResponseMetadata", None)
        return out
    except botocore.exceptions.ClientError as e:
        return {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
${body}
`;
}

describe('ECR API', () => {
  const srv = useTestServer();

  it('creates, describes and deletes repositories with boto3, with ECR’s errors', async () => {
    const name = `team/algo-${rand()}`;
    const out = await python(
      srv().url,
      ecrScript(`
r = {}
r["create"] = call("create_repository", repositoryName="${name}", imageTagMutability="IMMUTABLE", tags=[{"Key": "team", "Value": "ml"}])
r["again"] = call("create_repository", repositoryName="${name}")
r["bad"] = call("create_repository", repositoryName="Team/Algo")
r["kms"] = call("create_repository", repositoryName="kms-${rand()}", encryptionConfiguration={"encryptionType": "KMS"})
r["one"] = call("describe_repositories", repositoryNames=["${name}"])
r["missing"] = call("describe_repositories", repositoryNames=["${name}", "nope-${rand()}"])
r["tags"] = call("list_tags_for_resource", resourceArn=r["create"]["repository"]["repositoryArn"])
r["delete"] = call("delete_repository", repositoryName="${name}")
r["deleted"] = call("delete_repository", repositoryName="${name}")
print(json.dumps(r, default=str))
`),
    );
    const repo = out.create.repository;
    expect(repo).toMatchObject({
      repositoryArn: `arn:aws:ecr:us-east-1:000000000000:repository/${name}`,
      registryId: '000000000000',
      repositoryName: name,
      repositoryUri: `000000000000.dkr.ecr.us-east-1.amazonaws.com/${name}`,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    expect(Math.abs(Date.parse(repo.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(out.again).toMatchObject({ error: 'RepositoryAlreadyExistsException', status: 400, message: `The repository with name '${name}' already exists in the registry with id '000000000000'` });
    expect(out.bad.error).toBe('InvalidParameterException');
    expect(out.bad.message).toMatch(/^Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression/);
    expect(out.kms.error).toBe('InvalidParameterException');
    expect(out.one.repositories).toEqual([repo]);
    expect(out.missing).toMatchObject({ error: 'RepositoryNotFoundException', message: expect.stringMatching(/^The repository with name 'nope-\w+' does not exist in the registry with id '000000000000'$/) });
    expect(out.tags).toEqual({ tags: [{ Key: 'team', Value: 'ml' }] });
    expect(out.delete.repository.repositoryName).toBe(name);
    expect(out.deleted.error).toBe('RepositoryNotFoundException');
  });

  it('pages DescribeRepositories with maxResults and nextToken (boto3 paginator)', async () => {
    const prefix = `page-${rand()}`;
    const out = await python(
      srv().url,
      ecrScript(`
for i in range(5):
    call("create_repository", repositoryName="${prefix}-%d" % i)
pages = [ [x["repositoryName"] for x in p["repositories"]] for p in ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2}) ]
print(json.dumps({"pages": pages, "bad": call("describe_repositories", nextToken="garbage")}))
`),
    );
    const mine = (out.pages as string[][]).flat().filter((n) => n.startsWith(prefix));
    expect(mine).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    expect((out.pages as string[][]).every((p) => p.length <= 2)).toBe(true);
    expect(out.bad.error).toBe('InvalidParameterException');
  });

  it('lists, describes, gets and deletes pushed images', async () => {
    const repo = `images-${rand()}`;
    await python(srv().url, ecrScript(`print(json.dumps(call("create_repository", repositoryName="${repo}"), default=str))`));
    const one = await pushTinyImage(srv().url, repo, 'v1');
    expect(one.status).toBe(201);
    // The same manifest under a second tag; a different image as untagged-to-be.
    const again = await fetch(`${srv().url}/v2/${repo}/manifests/v2`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' },
      body: one.manifest,
    });
    expect(again.status).toBe(201);
    const two = await pushTinyImage(srv().url, repo, 'latest');
    const three = await pushTinyImage(srv().url, repo, 'latest');
    const out = await python(
      srv().url,
      ecrScript(`
r = {}
r["describe"] = call("describe_images", repositoryName="${repo}")
r["tagged"] = call("list_images", repositoryName="${repo}", filter={"tagStatus": "TAGGED"})
r["untagged"] = call("list_images", repositoryName="${repo}", filter={"tagStatus": "UNTAGGED"})
r["byTag"] = call("describe_images", repositoryName="${repo}", imageIds=[{"imageTag": "v2"}])
r["noTag"] = call("describe_images", repositoryName="${repo}", imageIds=[{"imageTag": "nope"}])
r["get"] = call("batch_get_image", repositoryName="${repo}", imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}, {"imageDigest": "${one.digest}", "imageTag": "latest"}, {}])
r["noRepo"] = call("describe_images", repositoryName="nope-${rand()}")
r["notEmpty"] = call("delete_repository", repositoryName="${repo}")
r["delTag"] = call("batch_delete_image", repositoryName="${repo}", imageIds=[{"imageTag": "v1"}, {"imageTag": "gone"}])
r["after1"] = call("describe_images", repositoryName="${repo}", imageIds=[{"imageDigest": "${one.digest}"}])
r["delLast"] = call("batch_delete_image", repositoryName="${repo}", imageIds=[{"imageTag": "v2"}])
r["after2"] = call("describe_images", repositoryName="${repo}", imageIds=[{"imageDigest": "${one.digest}"}])
r["delDigest"] = call("batch_delete_image", repositoryName="${repo}", imageIds=[{"imageDigest": "${two.digest}"}])
r["left"] = call("list_images", repositoryName="${repo}")
print(json.dumps(r, default=str))
`),
    );
    const details = out.describe.imageDetails as { imageDigest: string; imageTags?: string[]; imageSizeInBytes: number }[];
    expect(details.map((d) => d.imageDigest).sort()).toEqual([one.digest, two.digest, three.digest].sort());
    const first = details.find((d) => d.imageDigest === one.digest)!;
    expect(first).toMatchObject({
      registryId: '000000000000',
      repositoryName: repo,
      imageTags: ['v1', 'v2'],
      imageSizeInBytes: one.sizeBytes,
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    });
    // `latest` moved to the third push; the second is untagged now, as on ECR.
    expect(details.find((d) => d.imageDigest === two.digest)!.imageTags).toBeUndefined();
    expect(details.find((d) => d.imageDigest === three.digest)!.imageTags).toEqual(['latest']);
    expect(out.tagged.imageIds).toHaveLength(3);
    expect(out.untagged.imageIds).toEqual([{ imageDigest: two.digest }]);
    expect(out.byTag.imageDetails.map((d: { imageDigest: string }) => d.imageDigest)).toEqual([one.digest]);
    expect(out.noTag).toMatchObject({
      error: 'ImageNotFoundException',
      message: `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name '${repo}' in the registry with id '000000000000'`,
    });
    expect(out.get.images).toHaveLength(1);
    expect(out.get.images[0]).toMatchObject({ imageId: { imageDigest: one.digest, imageTag: 'v1' }, imageManifest: one.manifest.toString() });
    expect(out.get.failures.map((f: { failureCode: string }) => f.failureCode)).toEqual(['ImageNotFound', 'ImageTagDoesNotMatchDigest', 'MissingDigestAndTag']);
    expect(out.noRepo.error).toBe('RepositoryNotFoundException');
    expect(out.notEmpty).toMatchObject({ error: 'RepositoryNotEmptyException', message: `The repository with name '${repo}' in registry with id '000000000000' cannot be deleted because it still contains images` });
    expect(out.delTag.imageIds).toEqual([{ imageDigest: one.digest, imageTag: 'v1' }]);
    expect(out.delTag.failures).toEqual([{ imageId: { imageTag: 'gone' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    expect(out.after1.imageDetails[0].imageTags).toEqual(['v2']);
    expect(out.after2.error).toBe('ImageNotFoundException');
    expect(out.delDigest.imageIds).toEqual([{ imageDigest: two.digest }]);
    expect(out.left.imageIds).toEqual([{ imageDigest: three.digest, imageTag: 'latest' }]);

    // What ECR forgot cannot be pulled any more, by tag or by digest.
    expect((await fetch(`${srv().url}/v2/${repo}/manifests/v1`)).status).toBe(404);
    const byDigest = await fetch(`${srv().url}/v2/${repo}/manifests/${one.digest}`);
    expect(byDigest.status).toBe(404);
    expect(await byDigest.json()).toEqual({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'Requested image not found', detail: null }] });
  });

  it('deletes a non-empty repository with force, and a new one of that name starts empty', async () => {
    const repo = `force-${rand()}`;
    const url = srv().url;
    await python(url, ecrScript(`call("create_repository", repositoryName="${repo}"); print("{}")`));
    const img = await pushTinyImage(url, repo, 'v1');
    const out = await python(
      url,
      ecrScript(`
r = {"delete": call("delete_repository", repositoryName="${repo}", force=True)}
r["create"] = call("create_repository", repositoryName="${repo}")
r["images"] = call("list_images", repositoryName="${repo}")
print(json.dumps(r, default=str))
`),
    );
    expect(out.delete.repository.repositoryName).toBe(repo);
    expect(out.images.imageIds).toEqual([]);
    expect((await fetch(`${url}/v2/${repo}/manifests/${img.digest}`)).status).toBe(404);
    expect(await (await fetch(`${url}/v2/${repo}/tags/list`)).json()).toEqual({ name: repo, tags: [] });
  });

  it('keeps an image a manifest list refers to until the list goes, and sizes the list by its largest image', async () => {
    const url = srv().url;
    const repo = `multi-${rand()}`;
    await python(url, ecrScript(`call("create_repository", repositoryName="${repo}"); print("{}")`));
    const child = await pushTinyImage(url, repo, 'amd64');
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: child.manifest.length, digest: child.digest, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    const put = await fetch(`${url}/v2/${repo}/manifests/multi`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.list.v2+json' }, body: list });
    expect(put.status).toBe(201);
    const listDigest = sha256(list);
    const out = await python(
      url,
      ecrScript(`
r = {}
r["list"] = call("describe_images", repositoryName="${repo}", imageIds=[{"imageTag": "multi"}])["imageDetails"][0]
r["blocked"] = call("batch_delete_image", repositoryName="${repo}", imageIds=[{"imageDigest": "${child.digest}"}])
r["together"] = call("batch_delete_image", repositoryName="${repo}", imageIds=[{"imageTag": "multi"}, {"imageDigest": "${child.digest}"}])
r["left"] = call("list_images", repositoryName="${repo}")
print(json.dumps(r, default=str))
`),
    );
    expect(out.list).toMatchObject({ imageDigest: listDigest, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', imageSizeInBytes: child.sizeBytes });
    expect(out.blocked.failures).toEqual([
      { imageId: { imageDigest: child.digest }, failureCode: 'ImageReferencedByManifestList', failureReason: `Requested image referenced by manifest list: [${listDigest}]` },
    ]);
    expect(out.together.failures).toEqual([]);
    expect(out.left.imageIds).toEqual([]);
  });

  it('tags repositories and answers ECR’s errors for bad tags and unknown ARNs', async () => {
    const repo = `tagged-${rand()}`;
    const out = await python(
      srv().url,
      ecrScript(`
arn = call("create_repository", repositoryName="${repo}")["repository"]["repositoryArn"]
r = {}
r["tag"] = call("tag_resource", resourceArn=arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
r["untag"] = call("untag_resource", resourceArn=arn, tagKeys=["a"])
r["list"] = call("list_tags_for_resource", resourceArn=arn)
r["reserved"] = call("tag_resource", resourceArn=arn, tags=[{"Key": "aws:x", "Value": "1"}])
r["many"] = call("tag_resource", resourceArn=arn, tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
r["unknown"] = call("list_tags_for_resource", resourceArn=arn + "-nope")
r["otherRegion"] = call("list_tags_for_resource", resourceArn=arn.replace("us-east-1", "eu-west-1"))
print(json.dumps(r, default=str))
`),
    );
    expect(out.list).toEqual({ tags: [{ Key: 'b', Value: '2' }] });
    expect(out.reserved.error).toBe('InvalidTagParameterException');
    expect(out.many.error).toBe('TooManyTagsException');
    expect(out.unknown.error).toBe('RepositoryNotFoundException');
    expect(out.otherRegion).toEqual({ tags: [{ Key: 'b', Value: '2' }] });
  });

  it('hands out a 12-hour docker login token whose proxy endpoint is the ECR host name', async () => {
    const out = await python(
      srv().url,
      ecrScript(`
import base64, datetime
d = call("get_authorization_token")["authorizationData"][0]
user, password = base64.b64decode(d["authorizationToken"]).decode().split(":", 1)
left = (d["expiresAt"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
print(json.dumps({"user": user, "password": password, "left": left, "proxy": d["proxyEndpoint"]}))
`),
    );
    expect(out.user).toBe('AWS');
    expect(out.proxy).toBe('https://000000000000.dkr.ecr.us-east-1.amazonaws.com');
    expect(out.left).toBeGreaterThan(12 * 3600 - 120);
    expect(out.left).toBeLessThanOrEqual(12 * 3600);
    const cli = await aws(srv().url, ['ecr', 'get-login-password']);
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('answers the aws CLI: errors on stderr with their codes, unknown operations typed', async () => {
    const url = srv().url;
    const missing = await aws(url, ['ecr', 'describe-repositories', '--repository-names', `nope-${rand()}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/RepositoryNotFoundException.*does not exist in the registry with id '000000000000'/);
    const repo = `cli-${rand()}`;
    const created = await aws(url, ['ecr', 'create-repository', '--repository-name', repo, '--image-tag-mutability', 'IMMUTABLE']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).repository.repositoryUri).toBe(`000000000000.dkr.ecr.us-east-1.amazonaws.com/${repo}`);
    const mut = await aws(url, ['ecr', 'put-image-tag-mutability', '--repository-name', repo, '--image-tag-mutability', 'MUTABLE']);
    expect(JSON.parse(mut.stdout)).toMatchObject({ repositoryName: repo, imageTagMutability: 'MUTABLE' });
    const tooMany = await aws(url, ['ecr', 'batch-delete-image', '--repository-name', repo, '--image-ids', ...Array.from({ length: 101 }, (_, i) => `imageTag=t${i}`)]);
    expect(tooMany.stderr).toContain("InvalidParameterException) when calling the BatchDeleteImage operation: Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100'");
    const registry = await aws(url, ['ecr', 'describe-registry']);
    expect(registry.code).not.toBe(0);
    expect(registry.stderr).toContain('An error occurred (UnknownOperationException) when calling the DescribeRegistry operation');
    const del = await aws(url, ['ecr', 'delete-repository', '--repository-name', repo]);
    expect(del.code).toBe(0);
  });
});

describe('registry API rules', () => {
  const srv = useTestServer();

  it('refuses a push to a repository nobody created, with ECR’s words', async () => {
    const repo = `nobody-${rand()}`;
    const start = await fetch(`${srv().url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(404);
    expect(start.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await start.json()).toEqual({
      errors: [{ code: 'NAME_UNKNOWN', message: `The repository with name '${repo}' does not exist in the registry with id '000000000000'`, detail: null }],
    });
  });

  it('keeps a tag of an immutable repository where it is', async () => {
    const url = srv().url;
    const repo = `immutable-${rand()}`;
    await python(url, ecrScript(`call("create_repository", repositoryName="${repo}", imageTagMutability="IMMUTABLE"); print("{}")`));
    const first = await pushTinyImage(url, repo, 'v1');
    expect(first.status).toBe(201);
    const second = await pushTinyImage(url, repo, 'v1');
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body).errors[0]).toEqual({
      code: 'TAG_INVALID',
      message: `The image tag 'v1' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`,
      detail: null,
    });
    // The same manifest again is no overwrite.
    const same = await fetch(`${url}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }, body: first.manifest });
    expect(same.status).toBe(201);
    const got = await fetch(`${url}/v2/${repo}/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(got.headers.get('docker-content-digest')).toBe(first.digest);
  });

  it('lists repositories and tags from ECR’s tables, paged with n and last', async () => {
    const url = srv().url;
    const repo = `listed-${rand()}`;
    await python(url, ecrScript(`call("create_repository", repositoryName="${repo}"); print("{}")`));
    for (const t of ['a', 'b', 'c']) expect((await pushTinyImage(url, repo, t)).status).toBe(201);
    const page1 = await fetch(`${url}/v2/${repo}/tags/list?n=2`);
    expect(await page1.json()).toEqual({ name: repo, tags: ['a', 'b'] });
    expect(page1.headers.get('link')).toBe(`</v2/${repo}/tags/list?n=2&last=b>; rel="next"`);
    expect(await (await fetch(`${url}/v2/${repo}/tags/list?n=2&last=b`)).json()).toEqual({ name: repo, tags: ['c'] });
    const big = await fetch(`${url}/v2/${repo}/tags/list?n=1001`);
    expect(big.status).toBe(405);
    expect((await ociErrors(big))[0].code).toBe('UNSUPPORTED');
    const catalog = (await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories).toContain(repo);
    const del = await fetch(`${url}/v2/${repo}/manifests/a`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect((await ociErrors(del))[0].code).toBe('UNSUPPORTED');
  });

  it('answers a bad repository name and a malformed manifest with the registry’s codes', async () => {
    const url = srv().url;
    const bad = await fetch(`${url}/v2/Bad/Name/tags/list`);
    expect([bad.status, (await ociErrors(bad))[0].code]).toEqual([400, 'NAME_INVALID']);
    const repo = `junk-${rand()}`;
    await python(url, ecrScript(`call("create_repository", repositoryName="${repo}"); print("{}")`));
    const junk = await fetch(`${url}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: 'not json' });
    expect([junk.status, (await ociErrors(junk))[0].code]).toEqual([400, 'MANIFEST_INVALID']);
    const huge = await fetch(`${url}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: Buffer.alloc(5 * 1024 * 1024, 0x20) });
    expect([huge.status, (await ociErrors(huge))[0].code]).toEqual([400, 'MANIFEST_INVALID']);
    const images = await python(url, ecrScript(`print(json.dumps(call("list_images", repositoryName="${repo}")))`));
    expect(images.imageIds).toEqual([]);
  });
});
