/**
 * @module services/ecr/operations/repositories — CreateRepository, DescribeRepositories,
 * DeleteRepository, PutImageTagMutability. Repositories are not regional in Slipway: the URI and
 * ARN carry the region the caller signed for. `registryId` is accepted and ignored (there is one
 * registry, Slipway's account).
 */
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { ImageTagMutability, ImageTagMutabilityExclusionFilter, Operations } from '../generated/types.js';
import { RepositoryExistsError, type RepositoryRecord, type RepositorySettings } from '../../../storage/ecr-store.js';
import type { EcrDeps } from '../deps.js';
import { RepositoryAlreadyExistsException, RepositoryNotEmptyException, RepositoryNotFoundException, invalidParameter } from '../errors.js';
import { repositoryArn, repositoryUri, tagKeyOf } from '../names.js';
import { DEFAULT_PAGE, decodeToken, page } from '../paging.js';
import { checkTags } from './tags.js';

/** The Repository shape of the API. */
export function repositoryShape(ctx: RequestContext, accountId: string, r: RepositoryRecord): Record<string, unknown> {
  return {
    repositoryArn: repositoryArn(ctx.region, accountId, r.name),
    registryId: accountId,
    repositoryName: r.name,
    repositoryUri: repositoryUri(accountId, ctx.region, r.name),
    createdAt: new Date(r.createdAt),
    imageTagMutability: r.settings.imageTagMutability,
    ...(r.settings.imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters: r.settings.imageTagMutabilityExclusionFilters } : {}),
    imageScanningConfiguration: r.settings.imageScanningConfiguration,
    encryptionConfiguration: r.settings.encryptionConfiguration,
  };
}

/** The *_WITH_EXCLUSION modes need filters, the others take none (PutImageTagMutability API reference). */
function mutability(
  mode: ImageTagMutability | undefined,
  filters: ImageTagMutabilityExclusionFilter[] | undefined,
): { imageTagMutability: ImageTagMutability; imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[] } {
  const m = mode ?? 'MUTABLE';
  const withExclusion = m === 'IMMUTABLE_WITH_EXCLUSION' || m === 'MUTABLE_WITH_EXCLUSION';
  if (withExclusion && !filters?.length) {
    throw invalidParameter(`imageTagMutabilityExclusionFilters must be specified when imageTagMutability is ${m}`);
  }
  if (!withExclusion && filters?.length) {
    throw invalidParameter(`imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION`);
  }
  return withExclusion ? { imageTagMutability: m, imageTagMutabilityExclusionFilters: filters } : { imageTagMutability: m };
}

export function repositoryOperations(deps: EcrDeps): OperationHandlers<Operations> {
  const now = deps.now ?? Date.now;
  const account = deps.accountId;
  const require = async (name: string): Promise<RepositoryRecord> => {
    const r = await deps.store.getRepository(name);
    if (!r) throw new RepositoryNotFoundException(name, account);
    return r;
  };

  return {
    CreateRepository: async (ctx, input) => {
      const tags = checkTags(input.tags ?? []);
      const enc = input.encryptionConfiguration ?? { encryptionType: 'AES256' };
      // Slipway encrypts nothing with KMS; saying so beats recording a key that is never used.
      if (enc.encryptionType !== 'AES256') {
        throw invalidParameter(`Slipway's registry supports encryptionType AES256 only (requested ${enc.encryptionType})`);
      }
      const rec: RepositoryRecord = {
        name: input.repositoryName,
        createdAt: now(),
        settings: {
          ...mutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters),
          imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false },
          encryptionConfiguration: { encryptionType: 'AES256' },
        },
      };
      try {
        await deps.store.createRepository(rec);
      } catch (err) {
        if (err instanceof RepositoryExistsError) throw new RepositoryAlreadyExistsException(rec.name, account);
        throw err;
      }
      if (tags.length > 0) await deps.tags.put(tagKeyOf(account, rec.name), tags);
      return { repository: repositoryShape(ctx, account, rec) };
    },

    DescribeRepositories: async (ctx, input) => {
      if (input.repositoryNames) {
        if (input.maxResults !== undefined || input.nextToken !== undefined) {
          throw invalidParameter('maxResults and nextToken cannot be used when repositoryNames is specified');
        }
        return { repositories: await Promise.all(input.repositoryNames.map(async (n) => repositoryShape(ctx, account, await require(n)))) };
      }
      const limit = input.maxResults ?? DEFAULT_PAGE;
      const rows = await deps.store.listRepositories({ after: decodeToken(input.nextToken), limit: limit + 1 });
      const { items, nextToken } = page(rows, limit, (r) => r.name);
      return { repositories: items.map((r) => repositoryShape(ctx, account, r)), ...(nextToken ? { nextToken } : {}) };
    },

    DeleteRepository: async (ctx, input) => {
      const rec = await require(input.repositoryName);
      if (!input.force && await deps.store.countImages(rec.name) > 0) throw new RepositoryNotEmptyException(rec.name, account);
      await deps.store.deleteRepository(rec.name);
      const key = tagKeyOf(account, rec.name);
      await deps.tags.delete(key, (await deps.tags.list(key)).map((t) => t.Key));
      await deps.registry.forgetRepository(rec.name);
      return { repository: repositoryShape(ctx, account, rec) };
    },

    PutImageTagMutability: async (_ctx, input) => {
      const rec = await require(input.repositoryName);
      const m = mutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
      const settings: RepositorySettings = { ...rec.settings, ...m };
      if (!m.imageTagMutabilityExclusionFilters) delete settings.imageTagMutabilityExclusionFilters;
      await deps.store.updateSettings(rec.name, settings);
      return { registryId: account, repositoryName: rec.name, ...m };
    },
  };
}
