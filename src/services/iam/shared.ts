/**
 * @module services/iam/shared — what the IAM handlers share: their dependencies, ARNs and ids,
 * IAM's Marker/MaxItems pagination, quotas, and the Role shape as IAM returns it.
 */
import { randomBytes } from 'node:crypto';
import type { IamStore, RoleRecord } from '../../storage/iam-store.js';
import { InvalidInput, noSuchRole } from './errors.js';
import type { Role } from './generated/types.js';

export interface IamDeps {
  iam: IamStore;
  now?: () => number;
}

/**
 * IAM's default quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * They also bound what one client can make Slipway store.
 */
export const QUOTAS = {
  rolesPerAccount: 1000,
  managedPoliciesPerRole: 10,
  /** Trust policy characters, whitespace not counted. */
  trustPolicySize: 2048,
  /** All inline policies of a role together, whitespace not counted. */
  inlinePolicySize: 10_240,
  tagsPerRole: 50,
} as const;

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `AROA` + 17 characters, the form of IAM role ids (unique ids: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html). */
export function newRoleId(): string {
  const bytes = randomBytes(17);
  let s = 'AROA';
  for (const b of bytes) s += ID_ALPHABET[b & 31];
  return s;
}

export async function requireRole(deps: IamDeps, name: string): Promise<RoleRecord> {
  const role = await deps.iam.getRole(name);
  if (!role) throw noSuchRole(name);
  return role;
}

/**
 * IAM's policy documents come back URL-encoded (RFC 3986) in every response; boto3 and the AWS CLI
 * decode them (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html).
 */
export const encodePolicy = (text: string) => encodeURIComponent(text);

/** The Role structure: ListRoles leaves out tags, the permissions boundary and RoleLastUsed. */
export function roleOutput(accountId: string, r: RoleRecord, full: boolean): Role {
  const out: Role = {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.roleId,
    Arn: roleArn(accountId, r.path, r.name),
    CreateDate: new Date(r.createDate),
    AssumeRolePolicyDocument: encodePolicy(r.assumeRolePolicy),
    MaxSessionDuration: r.maxSessionDuration,
  };
  if (r.description !== undefined) out.Description = r.description;
  if (!full) return out;
  // IAM's docs say the type "can only have a value of Policy"; the model's enum says PermissionsBoundaryPolicy.
  if (r.permissionsBoundary !== undefined) out.PermissionsBoundary = { PermissionsBoundaryType: 'Policy' as 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: r.permissionsBoundary };
  if (r.tags.length > 0) out.Tags = r.tags;
  out.RoleLastUsed = {};
  return out;
}

/**
 * One page of `items` (sorted by `key`) after `marker`: IAM's `IsTruncated` and `Marker`
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/Pagination.html). Markers are opaque to
 * clients; any string is a position, so none is refused.
 */
export function page<T>(items: readonly T[], key: (t: T) => string, marker: string | undefined, maxItems: number | undefined): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const after = marker === undefined ? undefined : Buffer.from(marker, 'base64url').toString('utf8');
  const rest = after === undefined ? items : items.filter((t) => key(t) > after);
  const max = maxItems ?? 100;
  const out = rest.slice(0, max);
  if (rest.length <= max) return { items: out, IsTruncated: false };
  return { items: out, IsTruncated: true, Marker: Buffer.from(key(out[out.length - 1]!), 'utf8').toString('base64url') };
}

/** A managed policy ARN: AWS's (`arn:aws:iam::aws:policy/...`) or an account's. */
export interface PolicyArn {
  account: string;
  path: string;
  name: string;
}

export function parsePolicyArn(arn: string): PolicyArn {
  const m = /^arn:aws:iam::(aws|\d{12}):policy(\/.*)$/.exec(arn);
  const rest = m?.[2];
  const slash = rest?.lastIndexOf('/') ?? -1;
  const name = rest?.slice(slash + 1) ?? '';
  if (!m || !rest || name === '' || !/^[\w+=,.@-]{1,128}$/.test(name)) throw new InvalidInput(`ARN ${arn} is not valid.`);
  return { account: m[1]!, path: rest.slice(0, slash + 1), name };
}

/**
 * Whether a managed policy can be attached. Slipway keeps no catalogue of AWS's managed policies,
 * so every well-formed `arn:aws:iam::aws:policy/...` is taken as existing (tutorials attach
 * AmazonSageMakerFullAccess, AmazonS3FullAccess, ...); customer managed policies cannot be created
 * (CreatePolicy is not served), so none exists.
 */
export function attachable(p: PolicyArn): boolean {
  return p.account === 'aws';
}
