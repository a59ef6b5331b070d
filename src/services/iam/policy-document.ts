/**
 * @module services/iam/policy-document — checks IAM policy documents against the grammar
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html) and answers
 * MalformedPolicyDocument with IAM's own messages, and tells whether a trust policy lets a
 * service assume the role. Pure; the walk only descends the grammar's fixed depth, so a hostile
 * document (deep nesting, huge arrays within the 128 KiB the model allows) costs linear time.
 *
 * Two kinds, as IAM distinguishes them:
 * - `trust`: a role's AssumeRolePolicyDocument — needs a Principal, has no Resource;
 * - `identity`: an inline (PutRolePolicy) policy — needs a Resource, has no Principal.
 *
 * Messages are the ones IAM answers, as observed (links beside each); the grammar is checked as
 * far as tutorials and SDKs exercise it (element names and types, Effect, action and resource
 * syntax), not ARN partitions or condition operators.
 */
import { MalformedPolicyDocument } from './errors.js';

export type PolicyKind = 'trust' | 'identity';

/** A statement once checked: string lists normalised, Principal `*` kept as `'*'`. */
export interface Statement {
  effect: 'Allow' | 'Deny';
  actions?: string[];
  notActions?: string[];
  principal?: '*' | Record<string, string[]>;
  notPrincipal?: '*' | Record<string, string[]>;
}

// Observed answers: `This policy contains invalid Json` for a trust policy that is not JSON
// (https://github.com/AWSCookbook/Security/issues/2); `Syntax errors in policy.` for an identity
// policy (moto's AWS-recorded cases, tests/test_iam/test_iam_policies.py).
const SYNTAX = 'Syntax errors in policy.';
const NO_PRINCIPAL =
  // https://github.com/terraform-aws-modules/terraform-aws-iam/issues/47 (IAM's text, verbatim).
  'Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!';

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal']);
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const VENDOR = /^[A-Za-z0-9*?-]+$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k);

/** A string or a list of strings (IAM's "one or many"); undefined when the value is neither. */
function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

function checkActions(v: unknown): string[] {
  const list = stringList(v);
  if (!list) throw new MalformedPolicyDocument(SYNTAX);
  if (list.length === 0) throw new MalformedPolicyDocument('Policy statement must contain actions.');
  for (const a of list) {
    if (a === '*') continue;
    const parts = a.split(':');
    if (parts.length < 2) throw new MalformedPolicyDocument('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    if (parts.length > 2) throw new MalformedPolicyDocument('Actions/Condition can contain only one colon.');
    if (!VENDOR.test(parts[0]!)) throw new MalformedPolicyDocument(`Vendor ${parts[0]} is not valid`);
  }
  return list;
}

function checkResources(v: unknown): void {
  const list = stringList(v);
  if (!list) throw new MalformedPolicyDocument(SYNTAX);
  if (list.length === 0) throw new MalformedPolicyDocument('Policy statement must contain resources.');
  for (const r of list) {
    if (r !== '*' && !r.startsWith('arn:')) throw new MalformedPolicyDocument(`Resource ${r} must be in ARN format or "*".`);
  }
}

function checkPrincipal(v: unknown): '*' | Record<string, string[]> {
  if (v === '*') return '*';
  if (!isObject(v) || Object.keys(v).length === 0) throw new MalformedPolicyDocument(SYNTAX);
  const out: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(v)) {
    const list = stringList(ids);
    if (!PRINCIPAL_TYPES.has(type) || !list || list.length === 0) throw new MalformedPolicyDocument(`Invalid principal in policy: ${JSON.stringify(type)}:${JSON.stringify(ids)}`);
    out[type] = list;
  }
  return out;
}

function checkCondition(v: unknown): void {
  if (!isObject(v)) throw new MalformedPolicyDocument(SYNTAX);
  for (const block of Object.values(v)) {
    if (!isObject(block)) throw new MalformedPolicyDocument(SYNTAX);
    for (const value of Object.values(block)) {
      const values = Array.isArray(value) ? value : [value];
      if (!values.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) throw new MalformedPolicyDocument(SYNTAX);
    }
  }
}

function checkStatement(s: unknown, kind: PolicyKind): Statement {
  if (!isObject(s)) throw new MalformedPolicyDocument(SYNTAX);
  for (const k of Object.keys(s)) if (!STATEMENT.has(k)) throw new MalformedPolicyDocument(SYNTAX);
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw new MalformedPolicyDocument(SYNTAX);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new MalformedPolicyDocument(SYNTAX);
  const out: Statement = { effect: s.Effect };

  if (has(s, 'Action') && has(s, 'NotAction')) throw new MalformedPolicyDocument(SYNTAX);
  if (has(s, 'Action')) out.actions = checkActions(s.Action);
  else if (has(s, 'NotAction')) out.notActions = checkActions(s.NotAction);
  else throw new MalformedPolicyDocument('Policy statement must contain actions.');

  const resource = has(s, 'Resource') ? 'Resource' : has(s, 'NotResource') ? 'NotResource' : undefined;
  const principal = has(s, 'Principal') ? 'Principal' : has(s, 'NotPrincipal') ? 'NotPrincipal' : undefined;
  if (kind === 'trust') {
    // https://github.com/devopsacademyau/academy/pull/1368: "Has prohibited field Resource".
    if (resource) throw new MalformedPolicyDocument(`Has prohibited field ${resource}`);
    if (!principal) throw new MalformedPolicyDocument(NO_PRINCIPAL);
    if (has(s, 'Principal') && has(s, 'NotPrincipal')) throw new MalformedPolicyDocument(SYNTAX);
    if (principal === 'Principal') out.principal = checkPrincipal(s.Principal);
    else out.notPrincipal = checkPrincipal(s.NotPrincipal);
  } else {
    // https://github.com/hashicorp/terraform/issues/13449: "Policy document should not specify a principal."
    if (principal) throw new MalformedPolicyDocument('Policy document should not specify a principal.');
    if (has(s, 'Resource') && has(s, 'NotResource')) throw new MalformedPolicyDocument(SYNTAX);
    if (!resource) throw new MalformedPolicyDocument('Policy statement must contain resources.');
    checkResources(s[resource]);
  }
  if (has(s, 'Condition')) checkCondition(s.Condition);
  return out;
}

/** Parses and checks `text` as a policy of `kind`; its statements, or MalformedPolicyDocument. */
export function checkPolicyDocument(text: string, kind: PolicyKind): Statement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (!isObject(doc)) throw new MalformedPolicyDocument(kind === 'trust' ? 'This policy contains invalid Json' : SYNTAX);
  for (const k of Object.keys(doc)) if (!TOP_LEVEL.has(k)) throw new MalformedPolicyDocument(SYNTAX);
  if (doc.Version !== undefined && (typeof doc.Version !== 'string' || !VERSIONS.has(doc.Version))) throw new MalformedPolicyDocument(SYNTAX);
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new MalformedPolicyDocument(SYNTAX);
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  if (statements.length === 0) throw new MalformedPolicyDocument(SYNTAX);
  return statements.map((s) => checkStatement(s, kind));
}

/** IAM counts policy sizes without whitespace (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export function policySize(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) n++;
  }
  return n;
}

/** IAM action wildcards: `*` any run, `?` one character, case-insensitive. */
function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  // Iterative glob match with backtracking to the last `*`: linear in practice, no regex built from input.
  let pi = 0;
  let ai = 0;
  let star = -1;
  let mark = 0;
  while (ai < a.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === a[ai])) {
      pi++;
      ai++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ai;
    } else if (star >= 0) {
      pi = star + 1;
      ai = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

function coversAction(s: Statement, action: string): boolean {
  if (s.actions) return s.actions.some((p) => actionMatches(p, action));
  return !(s.notActions ?? []).some((p) => actionMatches(p, action));
}

function namesService(p: '*' | Record<string, string[]> | undefined, service: string): boolean {
  if (p === undefined) return false;
  if (p === '*') return true;
  return (p.Service ?? []).includes(service) || (p.AWS ?? []).includes('*');
}

/**
 * Whether a (checked) trust policy lets `service` call sts:AssumeRole: an Allow statement names it
 * (or `*`) and no Deny statement does. Conditions are taken as met (SageMaker's usual ones,
 * aws:SourceAccount / aws:SourceArn, hold for Slipway's own account).
 */
export function trustsService(statements: readonly Statement[], service: string): boolean {
  const applies = (s: Statement) =>
    coversAction(s, 'sts:AssumeRole') && (s.principal !== undefined ? namesService(s.principal, service) : !namesService(s.notPrincipal, service));
  if (statements.some((s) => s.effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.effect === 'Allow' && applies(s));
}
