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
 *
 * On a cluster engine (`stagesData`) every node must pull the image itself: the pull address is the
 * one nodes reach Slipway at (`nodeRegistry`, from SLIPWAY_ADVERTISE_URL), the result names the image
 * `<nodeRegistry>/<repo>@<digest>` (the manager pulls it too, to inspect it), and containers of that
 * image are created with pull credentials (a short-lived internal token issued at creation). A local
 * image the engine refuses (ImageUnavailableError) is refused naming the registry to push it to.
 * docs/cluster.md, "Images".
 */
import { ImageUnavailableError, RuntimeError, type ContainerRuntime, type ContainerSpec, type ResolvedImage } from '../runtime/container-runtime.js';
import { imageOnlyOnManagerMessage } from '../runtime/image-ref.js';
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
  /** `host:port` the nodes of a cluster engine reach Slipway at (SLIPWAY_ADVERTISE_URL's). */
  nodeRegistry?: string;
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

  const cluster = engine.stagesData === true;
  const nodeAuth = (server: string) => () => ({ username: 'AWS', password: opts.tokens.issueInternal(Date.now()), serveraddress: server });

  /** The engine's own resolution (local names); a cluster's refusal names Slipway's registry. */
  const localImage = async (ref: string): Promise<ResolvedImage | undefined> => {
    try {
      return await engine.resolveImage(ref);
    } catch (err) {
      if (err instanceof ImageUnavailableError && opts.nodeRegistry) throw new ImageUnavailableError(imageOnlyOnManagerMessage(ref, err.nodes, opts.nodeRegistry), err.nodes);
      throw err;
    }
  };

  const resolveImage = async (ref: string): Promise<ResolvedImage | undefined> => {
    const name = parseImageName(ref);
    const port = opts.port();
    const address = opts.pullAddress ?? '127.0.0.1';
    const ours =
      name?.host !== undefined &&
      (isSlipwayRegistryHost(name.host, port) || (port !== undefined && name.host === `${address}:${port}`) || (cluster && name.host === opts.nodeRegistry));
    if (!name || !ours) return localImage(ref);
    const repo = await opts.store.getRepository(name.repository);
    const digest = repo ? (name.digest ?? (await opts.store.tagDigest(name.repository, name.tag ?? 'latest'))) : undefined;
    const image = digest !== undefined ? await opts.store.getImage(name.repository, digest) : undefined;
    if (!image || port === undefined) return localImage(ref);
    const canonical = `${name.host!}/${image.repository}@${image.digest}`;

    if (cluster) {
      // Every node pulls by digest from where nodes reach Slipway; the manager too, to inspect it.
      const server = opts.nodeRegistry;
      if (!server) throw new ImageUnavailableError(`The image '${ref}' is in Slipway's registry, but the cluster's nodes cannot be told where to pull it: set SLIPWAY_ADVERTISE_URL (the URL nodes reach Slipway at) with SLIPWAY_RUNTIME=swarm.`);
      const nodeRef = `${server}/${image.repository}@${image.digest}`;
      let info = await engine.inspectImage(nodeRef);
      if (!info) {
        await pullOnce(nodeRef, server).catch((err: unknown) => {
          // An engine that insists on HTTPS is a setting to fix, not a moment to wait out.
          if (err instanceof RuntimeError && /HTTP response to HTTPS client/i.test(err.message)) {
            throw new ImageUnavailableError(
              `The image '${ref}' cannot be pulled from Slipway's registry at ${server}: the engines speak HTTPS to it and it answers plain HTTP. List ${server} in every node's insecure-registries (docs/cluster.md, "Images"). The engine said: ${err.message}`,
            );
          }
          throw err;
        });
        info = await engine.inspectImage(nodeRef);
        if (!info) throw new RuntimeError(`image ${nodeRef} was pulled but the engine does not list it`);
      }
      return { specified: ref, local: nodeRef, image: { ...info, repoDigests: [canonical, ...info.repoDigests.filter((d) => d !== canonical)] } };
    }

    const id = configDigest(image.manifest);
    let info = id ? await engine.inspectImage(id) : undefined;
    if (!info) {
      const server = `${address}:${port}`;
      const pullRef = `${server}/${image.repository}@${image.digest}`;
      await pullOnce(pullRef, server);
      info = await engine.inspectImage(pullRef);
      if (!info) throw new RuntimeError(`image ${pullRef} was pulled but the engine does not list it`);
    }
    return { specified: ref, local: info.id, image: { ...info, repoDigests: [canonical, ...info.repoDigests.filter((d) => d !== canonical)] } };
  };

  /** Nodes pull an image of Slipway's registry with a token issued as the engine needs it. */
  const createContainer = (spec: ContainerSpec): Promise<string> => {
    const server = opts.nodeRegistry;
    const fromUs = cluster && server !== undefined && spec.image.startsWith(`${server}/`) && spec.image.includes('@');
    return engine.createContainer(fromUs ? { ...spec, pullAuth: nodeAuth(server) } : spec);
  };

  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'resolveImage') return resolveImage;
      if (prop === 'createContainer') return createContainer;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
