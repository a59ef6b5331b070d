/**
 * @module services/iam/roles — CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole,
 * UpdateRoleDescription, UpdateAssumeRolePolicy and role tags (TagRole, UntagRole, ListRoleTags).
 * Handlers are synchronous over the synchronous store, so each check-then-write is atomic.
 */
import type { OperationHandlers } from '../../protocol/operation-table.js';
import type { CreateRoleRequest, Operations } from './generated/types.js';
import { RoleExistsError, type RoleRecord } from '../../storage/iam-store.js';
import type { Tag } from '../../resources/tag.js';
import { DeleteConflict, EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity, noSuchRole } from './errors.js';
import { checkPolicyDocument, policySize } from './policy-document.js';
import { attachable, newRoleId, page, parsePolicyArn, QUOTAS, requireRole, roleOutput, type IamDeps } from './shared.js';

/** MaxSessionDuration when not given (CreateRole docs). */
const DEFAULT_MAX_SESSION_SECONDS = 3600;

/** A trust policy IAM accepts, or MalformedPolicyDocument / LimitExceeded. */
export function checkTrustPolicy(text: string): void {
  checkPolicyDocument(text, 'trust');
  if (policySize(text) > QUOTAS.trustPolicySize) throw new LimitExceeded(`Cannot exceed quota for ACLSizePerRole: ${QUOTAS.trustPolicySize}`);
}

/**
 * `tags` merged into `existing`. IAM tag keys are case-insensitive: a key differing only in case
 * replaces the old one, and a request naming one key twice is refused.
 */
function mergeTags(existing: readonly Tag[], tags: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw new InvalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(k);
  }
  const merged = [...existing.filter((t) => !seen.has(t.Key.toLowerCase())), ...tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }))];
  if (merged.length > QUOTAS.tagsPerRole) throw new LimitExceeded(`Cannot exceed quota for TagsPerRole: ${QUOTAS.tagsPerRole}`);
  return merged.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
}

/** Creates a role after IAM's checks; shared with the default role set up at start. */
export async function createRole(deps: IamDeps, input: CreateRoleRequest): Promise<RoleRecord> {
  checkTrustPolicy(input.AssumeRolePolicyDocument);
  const tags = mergeTags([], input.Tags ?? []);
  if (input.PermissionsBoundary !== undefined && !attachable(parsePolicyArn(input.PermissionsBoundary))) {
    throw new NoSuchEntity(`Scope ARN: ${input.PermissionsBoundary} does not exist or is not attachable.`);
  }
  if (await deps.iam.countRoles() >= QUOTAS.rolesPerAccount) throw new LimitExceeded(`Cannot exceed quota for RolesPerAccount: ${QUOTAS.rolesPerAccount}`);
  const role: RoleRecord = {
    name: input.RoleName,
    path: input.Path ?? '/',
    roleId: newRoleId(),
    assumeRolePolicy: input.AssumeRolePolicyDocument,
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    maxSessionDuration: input.MaxSessionDuration ?? DEFAULT_MAX_SESSION_SECONDS,
    ...(input.PermissionsBoundary !== undefined ? { permissionsBoundary: input.PermissionsBoundary } : {}),
    createDate: deps.now?.() ?? Date.now(),
    tags,
  };
  try {
    await deps.iam.createRole(role);
  } catch (err) {
    if (err instanceof RoleExistsError) throw new EntityAlreadyExists(`Role with name ${input.RoleName} already exists.`);
    throw err;
  }
  return role;
}

export function roleOperations(deps: IamDeps): OperationHandlers<Operations> {
  const update = async (name: string, mutate: (r: RoleRecord) => void): Promise<RoleRecord> => {
    const role = await deps.iam.updateRole(name, mutate);
    if (!role) throw noSuchRole(name);
    return role;
  };

  return {
    CreateRole: async (ctx, input) => ({ Role: roleOutput(ctx.accountId, await createRole(deps, input), true) }),

    GetRole: async (ctx, input) => ({ Role: roleOutput(ctx.accountId, await requireRole(deps, input.RoleName), true) }),

    ListRoles: async (ctx, input) => {
      const roles = (await deps.iam.listRoles()).filter((r) => input.PathPrefix === undefined || r.path.startsWith(input.PathPrefix));
      const p = page(roles, (r) => r.name.toLowerCase(), input.Marker, input.MaxItems);
      return { Roles: p.items.map((r) => roleOutput(ctx.accountId, r, false)), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },

    DeleteRole: async (_ctx, input) => {
      await requireRole(deps, input.RoleName);
      // https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html: detach managed and delete inline policies first.
      if ((await deps.iam.attachedRolePolicies(input.RoleName)).length > 0) throw new DeleteConflict('Cannot delete entity, must detach all policies first.');
      if ((await deps.iam.rolePolicies(input.RoleName)).length > 0) throw new DeleteConflict('Cannot delete entity, must delete policies first.');
      await deps.iam.deleteRole(input.RoleName);
      return {};
    },

    UpdateRole: async (_ctx, input) => {
      await update(input.RoleName, (r) => {
        if (input.Description !== undefined) r.description = input.Description;
        if (input.MaxSessionDuration !== undefined) r.maxSessionDuration = input.MaxSessionDuration;
      });
      return {};
    },

    UpdateRoleDescription: async (ctx, input) => ({
      Role: roleOutput(ctx.accountId, await update(input.RoleName, (r) => (r.description = input.Description)), true),
    }),

    UpdateAssumeRolePolicy: async (_ctx, input) => {
      await requireRole(deps, input.RoleName);
      checkTrustPolicy(input.PolicyDocument);
      await update(input.RoleName, (r) => (r.assumeRolePolicy = input.PolicyDocument));
      return {};
    },

    TagRole: async (_ctx, input) => {
      await requireRole(deps, input.RoleName);
      await update(input.RoleName, (r) => (r.tags = mergeTags(r.tags, input.Tags)));
      return {};
    },

    UntagRole: async (_ctx, input) => {
      const gone = new Set(input.TagKeys.map((k) => k.toLowerCase()));
      await update(input.RoleName, (r) => (r.tags = r.tags.filter((t) => !gone.has(t.Key.toLowerCase()))));
      return {};
    },

    ListRoleTags: async (_ctx, input) => {
      const p = page((await requireRole(deps, input.RoleName)).tags, (t) => t.Key, input.Marker, input.MaxItems);
      return { Tags: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },
  };
}
