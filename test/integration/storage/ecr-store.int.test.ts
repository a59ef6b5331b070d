/** The ECR metadata store (repositories, images, tags) on SQLite and PostgreSQL. */
import { expect, it } from 'vitest';
import { RepositoryExistsError, SqlEcrStore, TagImmutableError, type PushedImage, type RepositorySettings } from '../../../src/storage/ecr-store.js';
import { forEachBackend } from '../../helpers/backends.js';

const settings: RepositorySettings = {
  imageTagMutability: 'MUTABLE',
  imageScanningConfiguration: { scanOnPush: false },
  encryptionConfiguration: { encryptionType: 'AES256' },
};

function image(repository: string, digest: string, manifest: Buffer = Buffer.from(`{"d":"${digest}"}`)): PushedImage {
  return { repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', sizeBytes: 5_000_000_000, manifest, pushedAt: 1_700_000_000_000 };
}

forEachBackend((backend) => {
  it('ECR store: repositories are created once and listed in byte order, page by page', async () => {
    const ecr = new SqlEcrStore((await backend.fresh()).db);
    for (const name of ['b/x', 'a', 'B', 'a-b']) await ecr.createRepository({ name, createdAt: 1, settings });
    await expect(ecr.createRepository({ name: 'a', createdAt: 2, settings })).rejects.toThrow(RepositoryExistsError);
    const first = await ecr.listRepositories({ limit: 2 });
    expect(first.map((r) => r.name)).toEqual(['B', 'a']);
    expect((await ecr.listRepositories({ after: 'a', limit: 10 })).map((r) => r.name)).toEqual(['a-b', 'b/x']);
    expect(await ecr.getRepository('a')).toEqual({ name: 'a', createdAt: 1, settings });
  });

  it('ECR store: a push keeps the manifest bytes, sizes past 2^31 and sorted tags; an immutable tag stays', async () => {
    const ecr = new SqlEcrStore((await backend.fresh()).db);
    await ecr.createRepository({ name: 'repo', createdAt: 1, settings });
    // Every byte value, as a manifest could hold in any encoding.
    const raw = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await ecr.recordPush(image('repo', 'sha256:aa', raw), 'v2', async () => true);
    await ecr.recordPush(image('repo', 'sha256:aa', raw), 'latest', async () => true);
    await ecr.recordPush(image('repo', 'sha256:bb'), undefined, async () => true);
    const got = (await ecr.getImage('repo', 'sha256:aa'))!;
    expect(Buffer.isBuffer(got.manifest) && got.manifest.equals(raw)).toBe(true);
    expect(got).toMatchObject({ sizeBytes: 5_000_000_000, pushedAt: 1_700_000_000_000, tags: ['latest', 'v2'] });
    expect(await ecr.countImages('repo')).toBe(2);
    expect((await ecr.listImages('repo', 'TAGGED', { limit: 10 })).map((i) => i.digest)).toEqual(['sha256:aa']);
    expect((await ecr.listImages('repo', 'UNTAGGED', { limit: 10 })).map((i) => i.digest)).toEqual(['sha256:bb']);
    expect((await ecr.listImages('repo', 'ANY', { after: 'sha256:aa', limit: 10 })).map((i) => i.tags)).toEqual([[]]);
    expect(await ecr.listTags('repo', { limit: 1 })).toEqual(['latest']);
    // Moving a tag the repository keeps immutable records nothing.
    await expect(ecr.recordPush(image('repo', 'sha256:cc'), 'v2', async () => false)).rejects.toThrow(TagImmutableError);
    expect(await ecr.getImage('repo', 'sha256:cc')).toBeUndefined();
    expect(await ecr.tagDigest('repo', 'v2')).toBe('sha256:aa');
  });

  it('ECR store: deleting the last tag deletes the image; deleting the repository removes everything', async () => {
    const ecr = new SqlEcrStore((await backend.fresh()).db);
    await ecr.createRepository({ name: 'repo', createdAt: 1, settings });
    await ecr.recordPush(image('repo', 'sha256:aa'), 'one', async () => true);
    await ecr.recordPush(image('repo', 'sha256:aa'), 'two', async () => true);
    expect(await ecr.deleteTag('repo', 'one')).toEqual({ digest: 'sha256:aa', imageDeleted: false });
    expect(await ecr.deleteTag('repo', 'two')).toEqual({ digest: 'sha256:aa', imageDeleted: true });
    expect(await ecr.countImages('repo')).toBe(0);
    await ecr.recordPush(image('repo', 'sha256:dd'), 'x', async () => true);
    await ecr.markPulled('repo', 'sha256:dd', 1_800_000_000_000);
    expect((await ecr.getImage('repo', 'sha256:dd'))?.lastPulledAt).toBe(1_800_000_000_000);
    expect(await ecr.deleteRepository('repo')).toBe(true);
    expect(await ecr.deleteRepository('repo')).toBe(false);
    expect(await ecr.listTags('repo', { limit: 10 })).toEqual([]);
  });

  if (backend.name === 'PostgreSQL') {
    it('ECR store: two replicas pushing different images to one immutable tag at once: one wins, the other is refused', async () => {
      const fresh = await backend.fresh();
      const a = new SqlEcrStore(fresh.db);
      const b = new SqlEcrStore(await fresh.open());
      await a.createRepository({ name: 'repo', createdAt: 1, settings: { ...settings, imageTagMutability: 'IMMUTABLE' } });
      for (let round = 0; round < 10; round++) {
        const tag = `v${round}`;
        const results = await Promise.allSettled([
          a.recordPush(image('repo', `sha256:a${round}`), tag, async () => false),
          b.recordPush(image('repo', `sha256:b${round}`), tag, async () => false),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(TagImmutableError);
        const winner = results[0]!.status === 'fulfilled' ? `sha256:a${round}` : `sha256:b${round}`;
        expect(await b.tagDigest('repo', tag)).toBe(winner);
      }
    });
  }
});
