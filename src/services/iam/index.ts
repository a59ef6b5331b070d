/**
 * @module services/iam — the IAM operation table (query protocol, SigV4 service `iam`): roles,
 * their trust policies, inline and attached policies, and tags. IAM is global: one set of roles
 * per Slipway, whatever region a client names.
 */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import { rolePolicyOperations } from './role-policies.js';
import { roleOperations } from './roles.js';
import type { IamDeps } from './shared.js';

export { IAM_XMLNS, validateIamInput } from './validation.js';
export type { IamDeps } from './shared.js';

export function iamOperations(deps: IamDeps): OperationTable {
  return operationTable<Operations>({ ...roleOperations(deps), ...rolePolicyOperations(deps) });
}
