/**
 * @module services/s3/policy/anonymous-access — what a bucket policy grants a request without
 * credentials. IAM's order: an explicit Deny wins, then an Allow, else no access.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *
 * Conditions are not evaluated. To fail closed, an Allow with a Condition grants nothing and a Deny
 * with a Condition always applies. Signed requests are the owner's (one account) and are not
 * evaluated against the policy at all.
 */
import { matchesPattern, type BucketPolicy, type PolicyStatement } from './policy-document.js';

export type Decision = 'allow' | 'deny' | 'none';

/** The S3 actions anonymous requests can be granted here. */
export type AnonymousAction = 's3:GetObject' | 's3:ListBucket';

function appliesToAnonymous(s: PolicyStatement): boolean {
  if (s.principal) return s.principal.includes('*');
  // NotPrincipal names who is excluded; anonymous is excluded only by "*".
  return !(s.notPrincipal ?? []).includes('*');
}

function anyMatch(patterns: readonly string[], value: string, ignoreCase: boolean): boolean {
  return patterns.some((p) => matchesPattern(p, value, ignoreCase));
}

function covers(s: PolicyStatement, action: string, resource: string): boolean {
  const actionOk = s.action ? anyMatch(s.action, action, true) : !anyMatch(s.notAction ?? [], action, true);
  if (!actionOk) return false;
  return s.resource ? anyMatch(s.resource, resource, false) : !anyMatch(s.notResource ?? [], resource, false);
}

/** `arn:aws:s3:::bucket` for ListBucket, `arn:aws:s3:::bucket/key` for GetObject. */
export function resourceArn(bucket: string, key?: string): string {
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

export function anonymousDecision(policy: BucketPolicy | undefined, action: AnonymousAction, resource: string): Decision {
  if (!policy) return 'none';
  let allowed = false;
  for (const s of policy.statements) {
    if (!appliesToAnonymous(s) || !covers(s, action, resource)) continue;
    if (s.effect === 'Deny') return 'deny';
    if (!s.hasCondition) allowed = true;
  }
  return allowed ? 'allow' : 'none';
}
