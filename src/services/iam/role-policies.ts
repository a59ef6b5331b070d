/**
 * @module services/iam/role-policies — a role's inline policies (PutRolePolicy, GetRolePolicy,
 * DeleteRolePolicy, ListRolePolicies) and attached managed policies (AttachRolePolicy,
 * DetachRolePolicy, ListAttachedRolePolicies). Policies are stored, never evaluated: Slipway does
 * not authorise calls by them.
 */
import type { OperationHandlers } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import { LimitExceeded, NoSuchEntity } from './errors.js';
import { checkPolicyDocument, policySize } from './policy-document.js';
import { attachable, encodePolicy, page, parsePolicyArn, QUOTAS, requireRole, type IamDeps } from './shared.js';

export function rolePolicyOperations(deps: IamDeps): OperationHandlers<Operations> {
  const noSuchPolicy = (name: string) => new NoSuchEntity(`The role policy with name ${name} cannot be found.`);

  return {
    PutRolePolicy: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      checkPolicyDocument(input.PolicyDocument, 'identity');
      // The quota is on all of a role's inline policies together; a policy being replaced does not count twice.
      const others = (await deps.iam.rolePolicies(role.name)).filter((p) => p.name !== input.PolicyName);
      const total = others.reduce((n, p) => n + policySize(p.document), policySize(input.PolicyDocument));
      if (total > QUOTAS.inlinePolicySize) throw new LimitExceeded(`Maximum policy size of ${QUOTAS.inlinePolicySize} bytes exceeded for role ${role.name}`);
      await deps.iam.putRolePolicy(role.name, input.PolicyName, input.PolicyDocument);
      return {};
    },

    GetRolePolicy: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      const doc = await deps.iam.getRolePolicy(role.name, input.PolicyName);
      if (doc === undefined) throw noSuchPolicy(input.PolicyName);
      return { RoleName: role.name, PolicyName: input.PolicyName, PolicyDocument: encodePolicy(doc) };
    },

    DeleteRolePolicy: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      if (!await deps.iam.deleteRolePolicy(role.name, input.PolicyName)) throw noSuchPolicy(input.PolicyName);
      return {};
    },

    ListRolePolicies: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      const p = page((await deps.iam.rolePolicies(role.name)).map((x) => x.name), (n) => n, input.Marker, input.MaxItems);
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },

    AttachRolePolicy: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      if (!attachable(parsePolicyArn(input.PolicyArn))) throw new NoSuchEntity(`Policy ${input.PolicyArn} does not exist or is not attachable.`);
      const attached = await deps.iam.attachedRolePolicies(role.name);
      if (attached.includes(input.PolicyArn)) return {};
      if (attached.length >= QUOTAS.managedPoliciesPerRole) throw new LimitExceeded(`Cannot exceed quota for PoliciesPerRole: ${QUOTAS.managedPoliciesPerRole}`);
      await deps.iam.attachRolePolicy(role.name, input.PolicyArn);
      return {};
    },

    DetachRolePolicy: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      parsePolicyArn(input.PolicyArn);
      if (!await deps.iam.detachRolePolicy(role.name, input.PolicyArn)) throw new NoSuchEntity(`Policy ${input.PolicyArn} was not found.`);
      return {};
    },

    ListAttachedRolePolicies: async (_ctx, input) => {
      const role = await requireRole(deps, input.RoleName);
      const policies = (await deps.iam
        .attachedRolePolicies(role.name))
        .map((arn) => ({ arn, ...parsePolicyArn(arn) }))
        .filter((p) => input.PathPrefix === undefined || p.path.startsWith(input.PathPrefix));
      const p = page(policies, (x) => x.arn, input.Marker, input.MaxItems);
      return {
        AttachedPolicies: p.items.map((x) => ({ PolicyName: x.name, PolicyArn: x.arn })),
        IsTruncated: p.IsTruncated,
        ...(p.Marker ? { Marker: p.Marker } : {}),
      };
    },
  };
}
