/**
 * @module registry/registry-images — image resolution that knows Slipway's registry. An image URI
 * naming it (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` or `127.0.0.1:<port>/<repo>:<tag>`)
 * whose tag or digest ECR's tables list resolves to that pushed image, pulled into the engine on
 * first use; anything else resolves as before, to a local image (runtime/image-ref.ts).
 *
 *   ref ─► ours? ─no─► engine.resolveImage (local names)
 *          └ yes ─► repository + tag/digest in ECR's tables? ─no─► engine.resolveImage
 *                   └ yes ─► engine has the image (its config digest = image id)? ─► use it
 *                            └ no ─► pull <slipway-host>/<repo>@<digest> (a short-lived token) ─► use it
 *
 * The result names the image by id (what containers are created from) and lists the ECR-style
 * `<host>/<repo>@<digest>` first among its repo digests (what DescribeEndpoint shows as ResolvedImage).
 */
import { RuntimeError, type ContainerRuntime, type ResolvedImage } from '../runtime/container-runtime.js';
import type { LoginTokens } from '../resources/ecr-login-token.js';
import type { SqlEcrStore } from '../storage/ecr-store.js';
import { isSlipwayRegistryHost, parseImageName } from './image-name.js';

export interface RegistryImagesOptions {
  store: SqlEcrStore;
  tokens: LoginTokens;
  /** Slipway's port once it listens (the engine pulls from 127.0.0.1:<port>). */
  port: () => number | undefined;
  /** Address the engine reaches Slipway at; default 127.0.0.1. */
  pullAddress?: string;
}

/** The config digest of an image manifest, which the engine uses as the image id. */
function configDigest(manifest: Buffer): string | undefined {
  try {
    const m = JSON.parse(manifest.toString('utf8')) as { config?: { digest?: unknown } };
    return typeof m.config?.digest === 'string' ? m.config.digest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `engine` with a registry-aware resolveImage; every other method is the engine's own (a Proxy, so
 * methods added to ContainerRuntime later pass through without a change here).
 */
export function withRegistryImages(engine: ContainerRuntime, opts: RegistryImagesOptions): ContainerRuntime {
  const pulls = new Map<string, Promise<void>>();

  const pullOnce = (ref: string, serveraddress: string): Promise<void> => {
    let p = pulls.get(ref);
    if (!p) {
      if (!engine.pullImage) return Promise.reject(new RuntimeError('this container engine cannot pull images'));
      p = engine.pullImage(ref, { username: 'AWS', password: opts.tokens.issueInternal(Date.now()), serveraddress }).finally(() => pulls.delete(ref));
      pulls.set(ref, p);
    }
    return p;
  };

  const resolveImage = async (ref: string): Promise<ResolvedImage | undefined> => {
    const name = parseImageName(ref);
    const port = opts.port();
    const address = opts.pullAddress ?? '127.0.0.1';
    const ours = name?.host !== undefined && (isSlipwayRegistryHost(name.host, port) || (port !== undefined && name.host === `${address}:${port}`));
    if (!name || !ours) return engine.resolveImage(ref);
    const repo = await opts.store.getRepository(name.repository);
    const digest = repo ? (name.digest ?? (await opts.store.tagDigest(name.repository, name.tag ?? 'latest'))) : undefined;
    const image = digest !== undefined ? await opts.store.getImage(name.repository, digest) : undefined;
    if (!image || port === undefined) return engine.resolveImage(ref);

    const id = configDigest(image.manifest);
    let info = id ? await engine.inspectImage(id) : undefined;
    if (!info) {
      const server = `${address}:${port}`;
      const pullRef = `${server}/${image.repository}@${image.digest}`;
      await pullOnce(pullRef, server);
      info = await engine.inspectImage(pullRef);
      if (!info) throw new RuntimeError(`image ${pullRef} was pulled but the engine does not list it`);
    }
    const canonical = `${name.host!}/${image.repository}@${image.digest}`;
    return { specified: ref, local: info.id, image: { ...info, repoDigests: [canonical, ...info.repoDigests.filter((d) => d !== canonical)] } };
  };

  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'resolveImage') return resolveImage;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
