/**
 * @module resources/model-package — the model registry as stored: model package groups, and model
 * packages (versioned ones are named `<group>/<version>` in the store, as in their ARN
 * `…:model-package/<group>/<version>`; unversioned ones by their own name).
 */

export const ModelApprovalStatus = { PendingManualApproval: 'PendingManualApproval', Approved: 'Approved', Rejected: 'Rejected' } as const;
export type ModelApprovalStatus = (typeof ModelApprovalStatus)[keyof typeof ModelApprovalStatus];

export interface ModelPackageGroupDoc {
  ModelPackageGroupName: string;
  ModelPackageGroupArn: string;
  ModelPackageGroupDescription?: string;
  ModelPackageGroupStatus: 'Completed' | 'Deleting';
  CreationTime: number;
  CreatedBy: Record<string, unknown>;
  [member: string]: unknown;
}

/** Versions are never reused after a delete, so the group keeps the last one it gave out. */
export interface ModelPackageGroupInternal {
  latestVersion?: number;
}

export interface ModelPackageContainerDoc {
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  [member: string]: unknown;
}

/** DescribeModelPackage as stored; times are epoch seconds. */
export interface ModelPackageDoc {
  ModelPackageName: string;
  ModelPackageArn: string;
  ModelPackageGroupName?: string;
  ModelPackageVersion?: number;
  ModelPackageStatus: 'Completed';
  ModelPackageStatusDetails: { ValidationStatuses: unknown[]; ImageScanStatuses?: unknown[] };
  ModelApprovalStatus?: ModelApprovalStatus;
  InferenceSpecification?: { Containers: ModelPackageContainerDoc[]; [member: string]: unknown };
  CustomerMetadataProperties?: Record<string, string>;
  CreationTime: number;
  LastModifiedTime?: number;
  [member: string]: unknown;
}

/** A versioned package's store name: `<group>/<version>`. */
export function versionedPackageName(group: string, version: number): string {
  return `${group}/${version}`;
}

/**
 * What `ModelPackageName`/`ModelPackageArn` in CreateModel, DescribeModelPackage, DeleteModelPackage
 * or UpdateModelPackage names: an ARN (`…:model-package/<name>[/<version>]`) or a bare name (which
 * may carry `/<version>`). → the store name, or undefined when it is the ARN of something else.
 */
export function packageStoreName(nameOrArn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:model-package\/(.+)$/.exec(nameOrArn);
  if (m) return m[1];
  if (nameOrArn.startsWith('arn:')) return undefined;
  return nameOrArn;
}
