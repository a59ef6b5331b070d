/**
 * @module registry/registry-proxy — the registry API under `/v2/` on Slipway's port: ECR's rules in
 * front of the managed `docker-registry` (registry-process.ts), which stores the bytes.
 *
 *   /v2/                      200 here (docker login), after the token check (registry-auth.ts)
 *   /v2/_catalog, tags/list   answered from ECR's tables
 *   /v2/<repo>/…              the repository must exist in ECR: else NAME_UNKNOWN, as ECR refuses
 *                             a push to a repository nobody created
 *   manifests/<tag> GET|HEAD  the tag is looked up in ECR's tables, the registry asked by digest
 *   manifests/<ref> PUT       immutability checked, forwarded, then recorded as an ECR image
 *   manifests, blobs DELETE   UNSUPPORTED: images are deleted with BatchDeleteImage
 *   blobs, uploads            streamed through
 *
 * ECR's tables are the truth about what exists: a digest or tag they do not list is unknown here
 * even if the registry's storage still has it.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../protocol/context.js';
import { ServiceError, asServiceError } from '../protocol/errors.js';
import { REGISTRY_VERSION_HEADER, ociError, renderError } from '../protocol/oci/oci-errors.js';
import { readBody } from '../protocol/read-body.js';
import type { Surface, SurfaceHandler } from '../protocol/surface.js';
import type { LoginTokens } from '../resources/ecr-login-token.js';
import { tagMayMove } from '../resources/ecr-repository.js';
import { TagImmutableError, type RepositoryRecord, type SqlEcrStore } from '../storage/ecr-store.js';
import { manifestFacts } from './manifest-facts.js';
import { checkRegistryAuth } from './registry-auth.js';
import { DIGEST, TAG, parseRegistryPath } from './registry-path.js';
import type { RegistryProcess } from './registry-process.js';
import { Upstream, forwardedHeaders } from './upstream.js';

/** Largest manifest accepted (distribution's own default limit). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** ECR answers n > 1000 on tags/list with UNSUPPORTED (andrey-pohilko/registry-cli#79). */
const MAX_PAGE = 1000;

export interface RegistryProxyDeps {
  accountId: string;
  store: SqlEcrStore;
  tokens: LoginTokens;
  /** The managed registry; undefined when SLIPWAY_REGISTRY=off. */
  registry: RegistryProcess | undefined;
  upstream: Upstream | undefined;
  logError(err: unknown, ctx: RequestContext): void;
  now?: () => number;
}

export function createRegistrySurface(deps: RegistryProxyDeps): Surface {
  const now = deps.now ?? Date.now;
  const account = deps.accountId;
  const nameUnknown = (name: string) => ociError('NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${account}'`);
  const manifestUnknown = () => ociError('MANIFEST_UNKNOWN', 'Requested image not found');

  const upstream = async (): Promise<Upstream> => {
    if (!deps.registry || !deps.upstream) throw ociError('UNAVAILABLE', "Slipway's registry is turned off (SLIPWAY_REGISTRY=off)");
    try {
      await deps.registry.ensureStarted();
    } catch (err) {
      throw ociError('UNAVAILABLE', `Slipway's registry is not available: ${err instanceof Error ? err.message : String(err)}`);
    }
    return deps.upstream;
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, path: string, body?: Buffer): Promise<void> => {
    const up = await upstream();
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const response = await up.send(req.method ?? 'GET', path, forwardedHeaders(req.headers), body ?? (hasBody ? req : undefined));
    Upstream.relay(response, res);
  };

  const json = (res: ServerResponse, ctx: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}, head = false) => {
    const payload = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { ...REGISTRY_VERSION_HEADER, ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': payload.length, 'x-amzn-RequestId': ctx.requestId });
    res.end(head ? undefined : payload);
  };

  /** n and last of a paginated list (catalog, tags/list), and its Link header for the next page. */
  const pageParams = (url: URL): { n: number; last: string } => {
    const raw = url.searchParams.get('n');
    const n = raw === null || raw === '' ? MAX_PAGE : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw ociError('UNSUPPORTED', "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value greater than or equal to 1'");
    if (n > MAX_PAGE) throw ociError('UNSUPPORTED', `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to ${MAX_PAGE}'`);
    return { n, last: url.searchParams.get('last') ?? '' };
  };
  const nextLink = (path: string, n: number, items: string[]): Record<string, string> =>
    items.length === n && n > 0 ? { Link: `<${path}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"` } : {};

  const pushManifest = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, repo: RepositoryRecord, reference: string, url: URL) => {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_MANIFEST_BYTES);
    } catch (err) {
      if (err instanceof ServiceError) throw ociError('MANIFEST_INVALID', `manifest invalid: larger than ${MAX_MANIFEST_BYTES} bytes`);
      throw err;
    }
    const facts = manifestFacts(body, req.headers['content-type']);
    if (!facts) throw ociError('MANIFEST_INVALID', 'manifest invalid: not a JSON document');
    const byDigest = DIGEST.test(reference);
    if (!byDigest && !TAG.test(reference)) throw ociError('TAG_INVALID', `tag invalid: '${reference.slice(0, 200)}' is not a valid tag`);
    const tag = byDigest ? undefined : reference;
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const immutable = (t: string) =>
      ociError('TAG_INVALID', `The image tag '${t}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`);
    if (tag !== undefined) {
      const current = await deps.store.tagDigest(repo.name, tag);
      if (current !== undefined && current !== digest && !tagMayMove(repo.settings, tag)) throw immutable(tag);
    }
    const up = await upstream();
    const response = await up.send('PUT', url.pathname + url.search, forwardedHeaders(req.headers), body);
    const answer = await Upstream.readAll(response);
    if (response.statusCode === 201) {
      const stored = String(response.headers['docker-content-digest'] ?? digest);
      let size = facts.sizeBytes;
      if (facts.isIndex) size = Math.max(0, ...(await Promise.all(facts.children.map(async (c) => (await deps.store.getImage(repo.name, c))?.sizeBytes ?? 0))));
      try {
        await deps.store.recordPush(
          { repository: repo.name, digest: stored, mediaType: facts.mediaType, ...(facts.artifactMediaType ? { artifactMediaType: facts.artifactMediaType } : {}), sizeBytes: size, manifest: body, pushedAt: now() },
          tag,
          async (t) => tagMayMove((await deps.store.getRepository(repo.name))?.settings ?? repo.settings, t),
        );
      } catch (err) {
        // Another push moved the tag between the check above and now: the registry keeps an
        // unreferenced manifest, ECR's tables stay as the first push left them.
        if (err instanceof TagImmutableError) throw immutable(err.tag);
        throw err;
      }
    }
    res.writeHead(response.statusCode ?? 502, { ...Object.fromEntries(Object.entries(response.headers).filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length'].includes(k))), 'Content-Length': answer.length } as Record<string, string | number | string[]>);
    res.end(answer);
  };

  const getManifest = async (req: IncomingMessage, res: ServerResponse, repo: RepositoryRecord, reference: string) => {
    const digest = DIGEST.test(reference) ? reference : await deps.store.tagDigest(repo.name, reference);
    if (digest === undefined || !await deps.store.getImage(repo.name, digest)) throw manifestUnknown();
    const up = await upstream();
    const response = await up.send(req.method ?? 'GET', `/v2/${repo.name}/manifests/${digest}`, forwardedHeaders(req.headers), undefined);
    if (response.statusCode === 200 && req.method === 'GET') await deps.store.markPulled(repo.name, digest, now());
    Upstream.relay(response, res);
  };

  const handle: SurfaceHandler = async (req, res, ctx, url) => {
    const head = req.method === 'HEAD';
    try {
      checkRegistryAuth(req, deps.tokens, now());
      const route = parseRegistryPath(url.pathname);
      if (!route) throw ociError('UNSUPPORTED', `The registry API has no route ${url.pathname.slice(0, 200)}`);
      if (route.kind === 'invalidName') throw ociError('NAME_INVALID', `invalid repository name '${route.name.slice(0, 256)}'`);
      if (route.kind === 'base') return json(res, ctx, 200, {}, {}, head);
      if (route.kind === 'catalog') {
        const { n, last } = pageParams(url);
        const names = (await deps.store.listRepositories({ after: last, limit: n })).map((r) => r.name);
        return json(res, ctx, 200, { repositories: names }, nextLink('/v2/_catalog', n, names), head);
      }
      const repo = await deps.store.getRepository(route.name);
      if (!repo) throw nameUnknown(route.name);
      switch (route.kind) {
        case 'tags': {
          const { n, last } = pageParams(url);
          const tags = await deps.store.listTags(repo.name, { after: last, limit: n });
          return json(res, ctx, 200, { name: repo.name, tags }, nextLink(`/v2/${repo.name}/tags/list`, n, tags), head);
        }
        case 'manifest':
          if (req.method === 'PUT') return await pushManifest(req, res, ctx, repo, route.reference, url);
          if (req.method === 'GET' || head) return await getManifest(req, res, repo, route.reference);
          throw ociError('UNSUPPORTED', 'Deleting images through the registry API is not supported; use aws ecr batch-delete-image');
        case 'blob':
          if (req.method === 'DELETE') throw ociError('UNSUPPORTED', 'Deleting layers through the registry API is not supported; use aws ecr batch-delete-image');
          return await forward(req, res, url.pathname + url.search);
        case 'upload': {
          // A cross-repository mount from a repository ECR does not have becomes a plain upload.
          const from = url.searchParams.get('from');
          if (req.method === 'POST' && from !== null && !await deps.store.getRepository(from)) {
            url.searchParams.delete('from');
            url.searchParams.delete('mount');
          }
          return await forward(req, res, url.pathname + url.search);
        }
        case 'other':
          return await forward(req, res, url.pathname + url.search);
      }
    } catch (err) {
      const se = asServiceError(err);
      if (!(err instanceof ServiceError)) deps.logError(err, ctx);
      renderError(res, ctx, se, req, url);
    }
  };
  return { handle, renderError };
}
