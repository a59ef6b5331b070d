/**
 * @module services/sagemaker/operations/model-packages — the model registry: Create/Describe/List/
 * Delete ModelPackageGroup and Create/Describe/List/Delete/UpdateModelPackage. Records only; a
 * package becomes a running model through CreateModel with `ModelPackageName` (./models.ts).
 *
 * Versioned packages (created with ModelPackageGroupName) are numbered 1, 2, … per group and never
 * reuse a deleted version; their ARN is `…:model-package/<group>/<version>` and their
 * ModelPackageName is the group's name, as SageMaker answers
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-version.html).
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { CreateModelPackageInput, ModelPackageSummary, UpdateModelPackageInput } from '../generated/types.js';
import { ResourceExistsError } from '../../../storage/resource-store.js';
import { sageMakerArn } from '../../../resources/arn.js';
import { ModelApprovalStatus, packageStoreName, versionedPackageName, type ModelPackageDoc, type ModelPackageGroupDoc } from '../../../resources/model-package.js';
import { parseDataUri } from '../../../resources/s3-uri.js';
import { wireTime } from '../../../resources/wire-time.js';
import type { ResourceRecord } from '../../../resources/kinds.js';
import type { SageMakerDeps } from '../deps.js';
import { ConflictException } from '../errors.js';
import { listResources } from '../list-params.js';
import { checkCreateTags } from './tags.js';

/** Members of CreateModelPackage that Describe does not echo as given. */
const NOT_ECHOED = new Set(['Tags', 'ClientToken', 'ModelPackageName', 'ModelPackageGroupName']);

type Ctx = Pick<RequestContext, 'region' | 'accountId'>;

export const groupArn = (ctx: Ctx, name: string) => sageMakerArn(ctx.region, ctx.accountId, 'model-package-group', name);
export const packageArn = (ctx: Ctx, storeName: string) => sageMakerArn(ctx.region, ctx.accountId, 'model-package', storeName);

/** Observed wording: `ModelPackage arn:aws:sagemaker:…:model-package/name does not exist.` */
export function packageNotFound(ctx: Ctx, nameOrArn: string): ValidationException {
  const arn = nameOrArn.startsWith('arn:') ? nameOrArn : packageArn(ctx, nameOrArn);
  return new ValidationException(`ModelPackage ${arn} does not exist.`);
}

function groupNotFound(ctx: Ctx, name: string): ValidationException {
  return new ValidationException(`ModelPackageGroup ${groupArn(ctx, name)} does not exist.`);
}

/** The stored package a name or ARN names, or ValidationException. */
export async function findPackage(deps: SageMakerDeps, ctx: Ctx, nameOrArn: string): Promise<ResourceRecord<'model-package'>> {
  const storeName = packageStoreName(nameOrArn);
  const rec = storeName === undefined ? undefined : await deps.resources.get('model-package', storeName);
  if (!rec) throw packageNotFound(ctx, nameOrArn);
  return rec;
}

function checkInferenceSpecification(spec: CreateModelPackageInput['InferenceSpecification']): void {
  if (!spec) return;
  spec.Containers.forEach((c, i) => {
    if (!c.Image) throw new ValidationException(`InferenceSpecification.Containers[${i}].Image is required by Slipway (it runs the image you give).`);
    if (c.ModelDataUrl !== undefined) {
      const loc = parseDataUri(c.ModelDataUrl);
      if (!loc || (loc.scheme === 's3' && !loc.key)) throw new ValidationException(`InferenceSpecification.Containers[${i}].ModelDataUrl ${c.ModelDataUrl} must be an s3://bucket/key URI.`);
    }
  });
}

function summary(doc: ModelPackageDoc): ModelPackageSummary {
  const s: ModelPackageSummary = {
    ModelPackageName: doc.ModelPackageName,
    ModelPackageArn: doc.ModelPackageArn,
    CreationTime: doc.CreationTime,
    ModelPackageStatus: doc.ModelPackageStatus,
  };
  if (doc.ModelPackageGroupName !== undefined) s.ModelPackageGroupName = doc.ModelPackageGroupName;
  if (doc.ModelPackageVersion !== undefined) s.ModelPackageVersion = doc.ModelPackageVersion;
  if (typeof doc.ModelPackageDescription === 'string') s.ModelPackageDescription = doc.ModelPackageDescription;
  if (doc.ModelApprovalStatus !== undefined) s.ModelApprovalStatus = doc.ModelApprovalStatus;
  return s;
}

export function modelPackageOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();

  const createModelPackage = async (ctx: RequestContext, input: CreateModelPackageInput) => {
    const group = input.ModelPackageGroupName;
    if (group && input.ModelPackageName) {
      // Wording as the real service answers (getmoto/moto#7165).
      throw new ValidationException('Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.');
    }
    if (!group && !input.ModelPackageName) throw new ValidationException('Missing ARN.');
    checkInferenceSpecification(input.InferenceSpecification);
    const tags = checkCreateTags(input.Tags);
    const t = now();
    let storeName: string;
    let version: number | undefined;
    if (group) {
      const g = await deps.resources.update('model-package-group', packageGroupName(group), (r) => {
        r.internal.latestVersion = (r.internal.latestVersion ?? 0) + 1;
      }, { touch: false });
      if (!g) throw groupNotFound(ctx, group);
      version = g.internal.latestVersion!;
      storeName = versionedPackageName(g.doc.ModelPackageGroupName, version);
    } else {
      storeName = input.ModelPackageName!;
    }
    const arn = packageArn(ctx, storeName);
    const echo: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) if (!NOT_ECHOED.has(k) && v !== undefined) echo[k] = v;
    const groupName = group ? storeName.slice(0, storeName.lastIndexOf('/')) : undefined;
    const doc: ModelPackageDoc = {
      ...echo,
      ModelPackageName: groupName ?? storeName,
      ModelPackageArn: arn,
      // ModelApprovalStatus "does not apply to unversioned models" (model doc): kept if given, never defaulted.
      ...(groupName ? { ModelPackageGroupName: groupName, ModelPackageVersion: version, ModelApprovalStatus: input.ModelApprovalStatus ?? ModelApprovalStatus.PendingManualApproval } : {}),
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [] },
      CertifyForMarketplace: input.CertifyForMarketplace ?? false,
      CreationTime: wireTime(t),
      LastModifiedTime: wireTime(t),
    };
    try {
      await deps.resources.create({ kind: 'model-package', name: storeName, arn, status: 'Completed', creationTime: t, lastModifiedTime: t, doc, internal: {} });
    } catch (err) {
      if (err instanceof ResourceExistsError) throw new ConflictException(`ModelPackage ${arn} already exists.`);
      throw err;
    }
    if (tags.length) await deps.tags.put(arn, tags);
    return { ModelPackageArn: arn };
  };

  const updateModelPackage = async (ctx: RequestContext, input: UpdateModelPackageInput) => {
    const rec = await findPackage(deps, ctx, input.ModelPackageArn);
    checkInferenceSpecification(input.InferenceSpecification);
    const t = now();
    await deps.resources.update(
      'model-package',
      rec.name,
      (r) => {
        const d = r.doc;
        if (input.ModelApprovalStatus !== undefined) d.ModelApprovalStatus = input.ModelApprovalStatus;
        if (input.ApprovalDescription !== undefined) d.ApprovalDescription = input.ApprovalDescription;
        if (input.CustomerMetadataProperties || input.CustomerMetadataPropertiesToRemove) {
          const props = { ...(d.CustomerMetadataProperties ?? {}), ...(input.CustomerMetadataProperties ?? {}) };
          for (const k of input.CustomerMetadataPropertiesToRemove ?? []) delete props[k];
          d.CustomerMetadataProperties = props;
        }
        if (input.InferenceSpecification) d.InferenceSpecification = input.InferenceSpecification as ModelPackageDoc['InferenceSpecification'];
        if (input.AdditionalInferenceSpecificationsToAdd) {
          d.AdditionalInferenceSpecifications = [...((d.AdditionalInferenceSpecifications as unknown[]) ?? []), ...input.AdditionalInferenceSpecificationsToAdd];
        }
        for (const k of ['ModelCard', 'ModelLifeCycle', 'SourceUri', 'ModelPackageRegistrationType'] as const) if (input[k] !== undefined) d[k] = input[k];
        d.LastModifiedTime = wireTime(t);
      },
      { now: t },
    );
    return { ModelPackageArn: rec.arn };
  };

  return {
    CreateModelPackageGroup: async (ctx, input) => {
      const arn = groupArn(ctx, input.ModelPackageGroupName);
      const tags = checkCreateTags(input.Tags);
      const t = now();
      const doc: ModelPackageGroupDoc = {
        ModelPackageGroupName: input.ModelPackageGroupName,
        ModelPackageGroupArn: arn,
        ...(input.ModelPackageGroupDescription !== undefined ? { ModelPackageGroupDescription: input.ModelPackageGroupDescription } : {}),
        ModelPackageGroupStatus: 'Completed',
        CreationTime: wireTime(t),
        CreatedBy: {},
      };
      try {
        await deps.resources.create({ kind: 'model-package-group', name: input.ModelPackageGroupName, arn, status: 'Completed', creationTime: t, lastModifiedTime: t, doc, internal: {} });
      } catch (err) {
        if (err instanceof ResourceExistsError) throw new ValidationException(`Model Package Group already exists: ${arn}`);
        throw err;
      }
      if (tags.length) await deps.tags.put(arn, tags);
      return { ModelPackageGroupArn: arn };
    },

    DescribeModelPackageGroup: async (ctx, input) => {
      const name = packageGroupName(input.ModelPackageGroupName);
      const rec = await deps.resources.get('model-package-group', name);
      if (!rec) throw groupNotFound(ctx, name);
      return rec.doc;
    },

    ListModelPackageGroups: async (_ctx, input) => {
      const page = await listResources(deps.resources, 'model-package-group', input, 'Ascending');
      return {
        ModelPackageGroupSummaryList: page.items.map((r) => ({
          ModelPackageGroupName: r.doc.ModelPackageGroupName,
          ModelPackageGroupArn: r.doc.ModelPackageGroupArn,
          CreationTime: r.doc.CreationTime,
          ModelPackageGroupStatus: r.doc.ModelPackageGroupStatus,
          ...(r.doc.ModelPackageGroupDescription !== undefined ? { ModelPackageGroupDescription: r.doc.ModelPackageGroupDescription } : {}),
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    DeleteModelPackageGroup: async (ctx, input) => {
      const name = packageGroupName(input.ModelPackageGroupName);
      if (!await deps.resources.get('model-package-group', name)) throw groupNotFound(ctx, name);
      const versions = await deps.resources.list('model-package', { where: (d) => d.ModelPackageGroupName === name, maxResults: 1 });
      if (versions.items.length) {
        throw new ConflictException(`Model Package Group ${groupArn(ctx, name)} contains model packages: delete its versions first.`);
      }
      await deps.resources.delete('model-package-group', name);
      return {};
    },

    CreateModelPackage: createModelPackage,

    DescribeModelPackage: async (ctx, input) => (await findPackage(deps, ctx, input.ModelPackageName)).doc,

    ListModelPackages: async (ctx, input) => {
      const group = input.ModelPackageGroupName === undefined ? undefined : packageGroupName(input.ModelPackageGroupName);
      // ModelPackageType defaults to Unversioned (model doc); a group filter can only mean its versions.
      const type = input.ModelPackageType ?? (group ? 'Versioned' : 'Unversioned');
      if (group && !await deps.resources.get('model-package-group', group)) throw groupNotFound(ctx, group);
      const page = await listResources(
        deps.resources,
        'model-package',
        input,
        'Ascending',
        (d) => {
            const versioned = d.ModelPackageVersion !== undefined;
            if (type === 'Versioned' && !versioned) return false;
            if (type === 'Unversioned' && versioned) return false;
            if (group && d.ModelPackageGroupName !== group) return false;
            if (input.ModelApprovalStatus && d.ModelApprovalStatus !== input.ModelApprovalStatus) return false;
            return true;
        },
      );
      return { ModelPackageSummaryList: page.items.map((r) => summary(r.doc)), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },

    UpdateModelPackage: updateModelPackage,

    DeleteModelPackage: async (ctx, input) => {
      const rec = await findPackage(deps, ctx, input.ModelPackageName);
      await deps.resources.delete('model-package', rec.name);
      return {};
    },
  };
}

/** A group named by name or ARN (`…:model-package-group/<name>`). */
function packageGroupName(nameOrArn: string): string {
  const m = /^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:model-package-group\/(.+)$/.exec(nameOrArn);
  return m ? m[1]! : nameOrArn;
}
