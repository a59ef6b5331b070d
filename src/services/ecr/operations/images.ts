/**
 * @module services/ecr/operations/images — DescribeImages, ListImages, BatchGetImage,
 * BatchDeleteImage over the images the registry proxy recorded as they were pushed.
 *
 * Failure codes and reasons of the batch calls are ECR's (ImageFailureCode in the API reference;
 * reasons as the service words them, e.g. "Requested image not found"). BatchGetImage returns the
 * manifest as it was pushed whatever `acceptedMediaTypes` says: Slipway does not convert manifests
 * between schema versions as ECR does.
 */
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Image, ImageFailure, ImageFailureCode, ImageIdentifier, Operations } from '../generated/types.js';
import type { ImageRecord, TagStatus } from '../../../storage/ecr-store.js';
import type { EcrDeps } from '../deps.js';
import { ImageNotFoundException, RepositoryNotFoundException, invalidParameter } from '../errors.js';
import { DEFAULT_PAGE, decodeToken, page } from '../paging.js';

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const INDEX_TYPES = new Set(['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json']);

type Resolved = { digest: string; image: ImageRecord } | { failure: Required<ImageFailure> };

export function imageOperations(deps: EcrDeps): OperationHandlers<Operations> {
  const account = deps.accountId;
  const requireRepo = async (name: string) => {
    if (!await deps.store.getRepository(name)) throw new RepositoryNotFoundException(name, account);
  };

  const resolve = async (repo: string, id: ImageIdentifier): Promise<Resolved> => {
    const fail = (failureCode: ImageFailureCode, failureReason: string): Resolved => ({ failure: { imageId: id, failureCode, failureReason } });
    if (id.imageDigest === undefined && id.imageTag === undefined) return fail('MissingDigestAndTag', 'Invalid request parameters: both tag and digest cannot be null');
    if (id.imageDigest !== undefined && !DIGEST.test(id.imageDigest)) return fail('InvalidImageDigest', 'Invalid image digest');
    let digest = id.imageDigest;
    if (id.imageTag !== undefined) {
      const tagged = await deps.store.tagDigest(repo, id.imageTag);
      if (tagged === undefined) return fail('ImageNotFound', 'Requested image not found');
      if (digest !== undefined && digest !== tagged) return fail('ImageTagDoesNotMatchDigest', 'Invalid input: image tag does not match the provided digest');
      digest = tagged;
    }
    const image = await deps.store.getImage(repo, digest!);
    return image ? { digest: digest!, image } : fail('ImageNotFound', 'Requested image not found');
  };

  const detail = (img: ImageRecord) => ({
    registryId: account,
    repositoryName: img.repository,
    imageDigest: img.digest,
    ...(img.tags.length > 0 ? { imageTags: img.tags } : {}),
    imageSizeInBytes: img.sizeBytes,
    imagePushedAt: new Date(img.pushedAt),
    imageManifestMediaType: img.mediaType,
    ...(img.artifactMediaType ? { artifactMediaType: img.artifactMediaType } : {}),
    ...(img.lastPulledAt ? { lastRecordedPullTime: new Date(img.lastPulledAt) } : {}),
    imageStatus: 'ACTIVE' as const,
  });

  /** child digest → the index manifests in `repo` listing it (a child cannot go while they stay); read once per call. */
  const indexParents = async (repo: string): Promise<Map<string, string[]>> => {
    const parents = new Map<string, string[]>();
    for (let after: string | undefined; ; ) {
      const rows = await deps.store.listImages(repo, 'ANY', { ...(after ? { after } : {}), limit: 500 });
      for (const img of rows) {
        if (!INDEX_TYPES.has(img.mediaType)) continue;
        for (const child of parseIndex(img.manifest)) parents.set(child, [...(parents.get(child) ?? []), img.digest]);
      }
      if (rows.length < 500) return parents;
      after = rows[rows.length - 1]!.digest;
    }
  };

  const listPage = async (input: { repositoryName: string; nextToken?: string; maxResults?: number; filter?: { tagStatus?: TagStatus; imageStatus?: string } }) => {
    const limit = input.maxResults ?? DEFAULT_PAGE;
    // Every image is ACTIVE here (nothing is ever archived).
    const status = input.filter?.imageStatus;
    if (status === 'ARCHIVED' || status === 'ACTIVATING') return { items: [] as ImageRecord[] };
    const rows = await deps.store.listImages(input.repositoryName, input.filter?.tagStatus ?? 'ANY', { after: decodeToken(input.nextToken), limit: limit + 1 });
    return page(rows, limit, (r) => r.digest);
  };

  return {
    DescribeImages: async (_ctx, input) => {
      await requireRepo(input.repositoryName);
      if (input.imageIds) {
        if (input.maxResults !== undefined || input.nextToken !== undefined) throw invalidParameter('maxResults and nextToken cannot be used when imageIds is specified');
        const seen = new Map<string, ImageRecord>();
        for (const id of input.imageIds) {
          const r = await resolve(input.repositoryName, id);
          if ('failure' in r) {
            if (r.failure.failureCode === 'ImageNotFound') throw new ImageNotFoundException(id, input.repositoryName, account);
            throw invalidParameter(r.failure.failureReason);
          }
          seen.set(r.digest, r.image);
        }
        return { imageDetails: [...seen.values()].map(detail) };
      }
      const { items, nextToken } = await listPage(input);
      return { imageDetails: items.map(detail), ...(nextToken ? { nextToken } : {}) };
    },

    ListImages: async (_ctx, input) => {
      await requireRepo(input.repositoryName);
      const { items, nextToken } = await listPage(input);
      const imageIds = items.flatMap((img) => (img.tags.length > 0 ? img.tags.map((t) => ({ imageDigest: img.digest, imageTag: t })) : [{ imageDigest: img.digest }]));
      return { imageIds, ...(nextToken ? { nextToken } : {}) };
    },

    BatchGetImage: async (_ctx, input) => {
      await requireRepo(input.repositoryName);
      const images: Image[] = [];
      const failures: ImageFailure[] = [];
      for (const id of input.imageIds) {
        const r = await resolve(input.repositoryName, id);
        if ('failure' in r) {
          failures.push(r.failure);
          continue;
        }
        images.push({
          registryId: account,
          repositoryName: input.repositoryName,
          imageId: { imageDigest: r.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
          imageManifest: r.image.manifest.toString('utf8'),
          imageManifestMediaType: r.image.mediaType,
        });
      }
      return { images, failures };
    },

    BatchDeleteImage: async (_ctx, input) => {
      const repo = input.repositoryName;
      await requireRepo(repo);
      const imageIds: ImageIdentifier[] = [];
      const failures: ImageFailure[] = [];
      const forgotten: string[] = [];
      let parents: Map<string, string[]> | undefined;
      for (const id of input.imageIds) {
        const r = await resolve(repo, id);
        if ('failure' in r) {
          failures.push(r.failure);
          continue;
        }
        // By tag alone: the tag goes, and the image with it when it was the last one (BatchDeleteImage API reference).
        const wholeImage = id.imageDigest !== undefined || r.image.tags.length <= 1;
        if (wholeImage) {
          parents ??= await indexParents(repo);
          const lists: string[] = [];
          for (const p of parents.get(r.digest) ?? []) if (p !== r.digest && (await deps.store.getImage(repo, p))) lists.push(p);
          if (lists.length > 0) {
            failures.push({ imageId: id, failureCode: 'ImageReferencedByManifestList', failureReason: `Requested image referenced by manifest list: [${lists.join(', ')}]` });
            continue;
          }
        }
        if (id.imageDigest === undefined) {
          const gone = await deps.store.deleteTag(repo, id.imageTag!);
          if (!gone) continue;
          imageIds.push({ imageDigest: gone.digest, imageTag: id.imageTag! });
          if (gone.imageDeleted) forgotten.push(gone.digest);
        } else {
          if (!await deps.store.deleteImage(repo, r.digest)) continue;
          imageIds.push(...(r.image.tags.length > 0 ? r.image.tags.map((t) => ({ imageDigest: r.digest, imageTag: t })) : [{ imageDigest: r.digest }]));
          forgotten.push(r.digest);
        }
      }
      for (const digest of forgotten) await deps.registry.forgetImage(repo, digest);
      return { imageIds, failures };
    },
  };
}

/** Child digests of an image index / manifest list (none for anything that does not parse as one). */
export function parseIndex(manifest: Buffer): string[] {
  try {
    const m = JSON.parse(manifest.toString('utf8')) as { manifests?: { digest?: unknown }[] };
    return (m.manifests ?? []).map((c) => c.digest).filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}
