/**
 * Image resolution through Slipway's registry on a cluster engine (registry/registry-images.ts,
 * docs/cluster.md "Images"), against the real ECR store on SQLite and a recording stand-in for the
 * engine (the pure decisions; test/cluster/swarm-registry.cluster.test.ts is the proof on a real
 * Swarm): the image is named where nodes pull it, by digest, and containers of it carry pull
 * credentials issued when they are created.
 */
import { describe, expect, it } from 'vitest';
import { ImageUnavailableError, RuntimeError, type ContainerRuntime, type ContainerSpec, type ImageInfo, type RegistryAuth } from '../../../src/runtime/container-runtime.js';
import { withRegistryImages } from '../../../src/registry/registry-images.js';
import { LoginTokens } from '../../../src/resources/ecr-login-token.js';
import { SqlEcrStore } from '../../../src/storage/ecr-store.js';
import { sqliteBackend } from '../../helpers/backends.js';

const CONFIG = 'sha256:' + 'c'.repeat(64);
const DIGEST = 'sha256:' + 'd'.repeat(64);
const ECR = '000000000000.dkr.ecr.us-east-1.amazonaws.com';

const info = (id: string, repoDigests: string[] = []): ImageInfo => ({
  id,
  repoTags: [],
  repoDigests,
  entrypoint: null,
  cmd: ['serve'],
  env: [],
  labels: {},
  architecture: 'amd64',
  os: 'linux',
  sizeBytes: 1,
  workingDir: '',
  user: '',
});

/** Records pulls and creations; holds what was pulled. `local` answers resolveImage (or throws). */
function engine(opts: { cluster: boolean; local?: () => ImageInfo | undefined }) {
  const held = new Map<string, ImageInfo>();
  const pulls: { ref: string; auth: RegistryAuth }[] = [];
  const created: ContainerSpec[] = [];
  const rt = {
    ...(opts.cluster ? { stagesData: true } : {}),
    inspectImage: async (ref: string) => held.get(ref),
    resolveImage: async (ref: string) => {
      const i = opts.local?.();
      return i ? { specified: ref, local: ref, image: i } : undefined;
    },
    pullImage: async (ref: string, auth: RegistryAuth) => {
      pulls.push({ ref, auth });
      const i = info(CONFIG, [ref]);
      held.set(ref, i);
      held.set(CONFIG, i);
    },
    createContainer: async (spec: ContainerSpec) => {
      created.push(spec);
      return 'id';
    },
  } as unknown as ContainerRuntime;
  return { rt, pulls, created };
}

describe('registry images on a cluster engine', () => {
  const backend = sqliteBackend();
  const tokens = new LoginTokens(new Map([['AKID', 'secret']]));

  async function store(): Promise<SqlEcrStore> {
    const s = new SqlEcrStore((await backend.fresh()).db);
    await s.createRepository({ name: 'team/algo', createdAt: 1, settings: { imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false }, encryptionConfiguration: { encryptionType: 'AES256' } } });
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: CONFIG } }));
    await s.recordPush({ repository: 'team/algo', digest: DIGEST, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', sizeBytes: 10, manifest, pushedAt: 1 }, 'v1', async () => true);
    return s;
  }

  it('names the image where nodes pull it, by digest, and gives its containers a fresh token for that registry', async () => {
    const e = engine({ cluster: true });
    const rt = withRegistryImages(e.rt, { store: await store(), tokens, port: () => 7447, nodeRegistry: '10.0.0.1:7447' });
    const r = await rt.resolveImage(`${ECR}/team/algo:v1`);
    expect(r?.local).toBe(`10.0.0.1:7447/team/algo@${DIGEST}`);
    // ResolvedImage as on one engine: the host as given.
    expect(r?.image.repoDigests[0]).toBe(`${ECR}/team/algo@${DIGEST}`);
    // The manager pulled it from the nodes' address (to inspect it), with an internal token.
    expect(e.pulls.map((p) => [p.ref, p.auth.serveraddress])).toEqual([[`10.0.0.1:7447/team/algo@${DIGEST}`, '10.0.0.1:7447']]);
    // The advertised address is a name of Slipway's registry too.
    expect((await rt.resolveImage(`10.0.0.1:7447/team/algo:v1`))?.local).toBe(`10.0.0.1:7447/team/algo@${DIGEST}`);
    expect(e.pulls).toHaveLength(1);

    await rt.createContainer({ name: 'c1', image: r!.local });
    await rt.createContainer({ name: 'c2', image: 'team/local:1' });
    const [ours, theirs] = e.created;
    const auth = ours!.pullAuth!();
    expect(auth).toMatchObject({ username: 'AWS', serveraddress: '10.0.0.1:7447' });
    expect(tokens.verify(auth.password, Date.now())).toMatchObject({ ok: true });
    expect(theirs!.pullAuth).toBeUndefined();
  });

  it('refuses, naming SLIPWAY_ADVERTISE_URL, when nodes cannot be told where to pull', async () => {
    const rt = withRegistryImages(engine({ cluster: true }).rt, { store: await store(), tokens, port: () => 7447 });
    await expect(rt.resolveImage(`${ECR}/team/algo:v1`)).rejects.toThrow(ImageUnavailableError);
    await expect(rt.resolveImage(`${ECR}/team/algo:v1`)).rejects.toThrow(/set SLIPWAY_ADVERTISE_URL/);
  });

  it('refuses with the operator step when the engine will not speak plain HTTP to the registry; other pull errors stay retryable', async () => {
    const failing = (message: string) => {
      const e = engine({ cluster: true });
      (e.rt as { pullImage: unknown }).pullImage = async () => {
        throw new RuntimeError(message);
      };
      return e.rt;
    };
    const s = await store();
    const https = withRegistryImages(failing('pull image x: Get "https://10.0.0.1:7447/v2/": http: server gave HTTP response to HTTPS client'), { store: s, tokens, port: () => 7447, nodeRegistry: '10.0.0.1:7447' });
    const err = await https.resolveImage(`${ECR}/team/algo:v1`).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ImageUnavailableError);
    expect((err as Error).message).toContain("List 10.0.0.1:7447 in every node's insecure-registries");
    const other = withRegistryImages(failing('pull image x: connection reset by peer'), { store: s, tokens, port: () => 7447, nodeRegistry: '10.0.0.1:7447' });
    const err2 = await other.resolveImage(`${ECR}/team/algo:v1`).catch((x: unknown) => x);
    expect(err2).toBeInstanceOf(RuntimeError);
    expect(err2).not.toBeInstanceOf(ImageUnavailableError);
  });

  it("words the engine's refusal of a local image with the registry to push it to", async () => {
    const e = engine({
      cluster: true,
      local: () => {
        throw new ImageUnavailableError('only on the manager', ['n1']);
      },
    });
    const rt = withRegistryImages(e.rt, { store: await store(), tokens, port: () => 7447, nodeRegistry: '10.0.0.1:7447' });
    const err = await rt.resolveImage('team/local:2').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ImageUnavailableError);
    expect((err as ImageUnavailableError).nodes).toEqual(['n1']);
    expect((err as Error).message).toContain('(not found on: n1)');
    expect((err as Error).message).toContain('Push it to 10.0.0.1:7447/team/local (docker tag team/local:2 10.0.0.1:7447/team/local:2');
  });

  it('leaves a single engine as it was: pulled from loopback, named by id, no pull credentials on containers', async () => {
    const e = engine({ cluster: false });
    const rt = withRegistryImages(e.rt, { store: await store(), tokens, port: () => 7447, nodeRegistry: '10.0.0.1:7447' });
    const r = await rt.resolveImage(`${ECR}/team/algo:v1`);
    expect(e.pulls.map((p) => p.ref)).toEqual([`127.0.0.1:7447/team/algo@${DIGEST}`]);
    expect(r?.local).toBe(CONFIG);
    await rt.createContainer({ name: 'c', image: `10.0.0.1:7447/team/algo@${DIGEST}` });
    expect(e.created[0]!.pullAuth).toBeUndefined();
  });
});
