/** @module services/sagemaker/operations/tags — AddTags, ListTags, DeleteTags for any SageMaker resource ARN. */
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { SageMakerDeps } from '../deps.js';
import { ResourceLimitExceeded } from '../errors.js';
import type { Tag } from '../../../resources/tag.js';

const MAX_TAGS = 50;

export function tagOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const requireResource = async (arn: string) => {
    // Real service: tagging an ARN that does not exist is a ValidationException.
    if (!await deps.resources.getByArn(arn)) throw new ValidationException(`Resource ${arn} does not exist.`);
  };
  return {
    AddTags: async (_ctx, input) => {
      await requireResource(input.ResourceArn);
      const existing = new Set((await deps.tags.list(input.ResourceArn)).map((t) => t.Key));
      const after = new Set([...existing, ...input.Tags.map((t) => t.Key)]);
      if (after.size > MAX_TAGS) throw new ResourceLimitExceeded(`A resource can have at most ${MAX_TAGS} tags.`);
      await deps.tags.put(input.ResourceArn, input.Tags);
      return { Tags: input.Tags };
    },
    ListTags: async (_ctx, input) => {
      await requireResource(input.ResourceArn);
      const all = await deps.tags.list(input.ResourceArn);
      const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64url').toString()) || 0 : 0;
      const max = input.MaxResults ?? 50;
      const page = all.slice(start, start + max);
      const out: { Tags: Tag[]; NextToken?: string } = { Tags: page };
      if (start + max < all.length) out.NextToken = Buffer.from(String(start + max)).toString('base64url');
      return out;
    },
    DeleteTags: async (_ctx, input) => {
      await requireResource(input.ResourceArn);
      await deps.tags.delete(input.ResourceArn, input.TagKeys);
      return {};
    },
  };
}

/** Validates and stores Create* `Tags` in the same step as the resource. */
export function checkCreateTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  if (new Set(list.map((t) => t.Key)).size > MAX_TAGS) throw new ResourceLimitExceeded(`A resource can have at most ${MAX_TAGS} tags.`);
  return list;
}
