/**
 * @module services/ecr/operations/tags — TagResource, UntagResource, ListTagsForResource on
 * repository ARNs (any region: Slipway's repositories are not regional).
 */
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations } from '../generated/types.js';
import type { Tag } from '../../../resources/tag.js';
import type { EcrDeps } from '../deps.js';
import { InvalidTagParameterException, RepositoryNotFoundException, TooManyTagsException, invalidParameter } from '../errors.js';
import { parseRepositoryArn, tagKeyOf } from '../names.js';

/** "Each resource can have a maximum of 50 tags" (ECR's Tag reference). */
const MAX_TAGS = 50;

/** Keys 1–128 characters, values up to 256, no `aws:` prefix (reserved for AWS). */
export function checkTags(tags: Tag[]): Tag[] {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw new InvalidTagParameterException(`Tag key '${t.Key}' must be 1 to 128 characters long`);
    if (t.Key.toLowerCase().startsWith('aws:')) throw new InvalidTagParameterException(`Tag key '${t.Key}' uses the reserved prefix aws:`);
    if ((t.Value ?? '').length > 256) throw new InvalidTagParameterException(`The value of tag '${t.Key}' must be at most 256 characters long`);
  }
  if (new Set(tags.map((t) => t.Key)).size > MAX_TAGS) throw new TooManyTagsException(`A resource can have at most ${MAX_TAGS} tags`);
  return tags;
}

export function tagOperations(deps: EcrDeps): OperationHandlers<Operations> {
  const account = deps.accountId;
  const keyOf = async (arn: string): Promise<string> => {
    const parsed = parseRepositoryArn(arn);
    if (!parsed) throw invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: ${arn}'`);
    if (parsed.account !== account || !await deps.store.getRepository(parsed.name)) throw new RepositoryNotFoundException(parsed.name, parsed.account);
    return tagKeyOf(account, parsed.name);
  };
  return {
    TagResource: async (_ctx, input) => {
      const key = await keyOf(input.resourceArn);
      checkTags(input.tags);
      const after = new Set([...(await deps.tags.list(key)).map((t) => t.Key), ...input.tags.map((t) => t.Key)]);
      if (after.size > MAX_TAGS) throw new TooManyTagsException(`A resource can have at most ${MAX_TAGS} tags`);
      await deps.tags.put(key, input.tags);
      return {};
    },
    UntagResource: async (_ctx, input) => {
      await deps.tags.delete(await keyOf(input.resourceArn), input.tagKeys);
      return {};
    },
    ListTagsForResource: async (_ctx, input) => ({ tags: await deps.tags.list(await keyOf(input.resourceArn)) }),
  };
}
