/**
 * @module services/iam/role-trust — whether a role ARN names a role of this account that lets a
 * service assume it; what strict roles (SLIPWAY_STRICT_ROLES) check in SageMaker calls.
 */
import type { IamStore } from '../../storage/iam-store.js';
import { checkPolicyDocument, trustsService } from './policy-document.js';

export type RoleTrust = 'trusted' | 'missing' | 'untrusted';

/** `arn:aws:iam::<account>:role<path><name>` → the role it names, if it exists with that path. */
export async function roleTrust(iam: IamStore, accountId: string, arn: string, service: string): Promise<RoleTrust> {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/.*)$/.exec(arn);
  if (!m || m[1] !== accountId) return 'missing';
  const rest = m[2]!;
  const slash = rest.lastIndexOf('/');
  const role = await iam.getRole(rest.slice(slash + 1));
  if (!role || role.path !== rest.slice(0, slash + 1)) return 'missing';
  try {
    return trustsService(checkPolicyDocument(role.assumeRolePolicy, 'trust'), service) ? 'trusted' : 'untrusted';
  } catch {
    return 'untrusted'; // stored before a stricter check: the role exists but trusts nobody we can tell
  }
}
