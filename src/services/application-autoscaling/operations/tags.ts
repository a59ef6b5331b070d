/**
 * @module services/application-autoscaling/operations/tags — TagResource, UntagResource,
 * ListTagsForResource on scalable target ARNs, and the tag checks RegisterScalableTarget shares
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TagResource.html). Tags
 * live with the target and go when it is deregistered.
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations } from '../generated/types.js';
import { MAX_TAGS_PER_TARGET } from '../../../resources/scalable-target.js';
import type { AutoscalingDeps } from '../deps.js';
import { resourceNotFound, tooManyTags } from '../errors.js';

/** `current` with `added` merged in; throws past the per-target limit. Keys starting `aws:` are reserved. */
export function mergeTags(arn: string, current: Record<string, string>, added: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(added)) {
    if (key.toLowerCase().startsWith('aws:')) throw new ValidationException(`Tag keys starting with 'aws:' are reserved: ${key}`);
  }
  const merged = { ...current, ...added };
  if (Object.keys(merged).length > MAX_TAGS_PER_TARGET) throw tooManyTags(arn, MAX_TAGS_PER_TARGET);
  return merged;
}

export function tagOperations(deps: AutoscalingDeps): OperationHandlers<Operations> {
  const mustGet = async (arn: string) => {
    const t = await deps.store.getTargetByArn(arn);
    if (!t) throw resourceNotFound(arn);
    return t;
  };
  return {
    TagResource: async (_ctx, input) => {
      const t = await mustGet(input.ResourceARN);
      await deps.store.setTags(t.resourceId, mergeTags(t.arn, t.tags, input.Tags));
      return {};
    },
    UntagResource: async (_ctx, input) => {
      const t = await mustGet(input.ResourceARN);
      const tags = { ...t.tags };
      for (const k of input.TagKeys) delete tags[k];
      await deps.store.setTags(t.resourceId, tags);
      return {};
    },
    ListTagsForResource: async (_ctx, input) => ({ Tags: (await mustGet(input.ResourceARN)).tags }),
  };
}
