/**
 * @module services/s3/policy/policy-document — parses and validates a bucket policy as
 * PutBucketPolicy does, answering S3's `MalformedPolicy` (400) with S3's wording. Only the shape is
 * checked (fields, effect, principal forms, `s3:` actions, resources inside this bucket, 20 KB);
 * S3 also checks action names against its list, which Slipway does not keep.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
 */
import { ServiceError } from '../../../protocol/errors.js';

/** Bucket policies are limited to 20 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html). */
export const MAX_POLICY_BYTES = 20 * 1024;

export type Effect = 'Allow' | 'Deny';

/** One statement with every list-or-string member normalised to a list. */
export interface PolicyStatement {
  effect: Effect;
  /** `'*'` for everyone; otherwise the principal values given (any type). */
  principal?: string[];
  notPrincipal?: string[];
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  /** Present when the statement has a Condition block (Slipway does not evaluate conditions). */
  hasCondition: boolean;
}

export interface BucketPolicy {
  statements: PolicyStatement[];
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'CanonicalUser', 'Federated']);
/** `*`, `s3:*` or `s3:` and an action name that may hold wildcards. */
const ACTION = /^(\*|s3:[A-Za-z*?]+)$/i;

export function malformedPolicy(message: string): ServiceError {
  return new ServiceError('MalformedPolicy', message, 400);
}

function strings(v: unknown, onBad: () => ServiceError): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.some((x) => typeof x !== 'string')) throw onBad();
  return list as string[];
}

function principals(v: unknown): string[] {
  const bad = () => malformedPolicy('Invalid principal in policy');
  if (v === '*') return ['*'];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad();
  const out: string[] = [];
  for (const [type, values] of Object.entries(v as Record<string, unknown>)) {
    if (!PRINCIPAL_TYPES.has(type)) throw bad();
    for (const p of strings(values, bad)) out.push(type === 'AWS' && p === '*' ? '*' : `${type}:${p}`);
  }
  if (out.length === 0) throw bad();
  return out;
}

/** `arn:aws:s3:::<bucket>[/<key pattern>]` whose bucket part (wildcards allowed) names this bucket. */
function checkResource(resource: string, bucket: string): void {
  const prefix = 'arn:aws:s3:::';
  if (!resource.startsWith(prefix)) throw malformedPolicy('Policy has invalid resource');
  const rest = resource.slice(prefix.length);
  const slash = rest.indexOf('/');
  const bucketPart = slash < 0 ? rest : rest.slice(0, slash);
  if (!matchesPattern(bucketPart, bucket)) throw malformedPolicy('Policy has invalid resource');
}

function statement(raw: unknown, bucket: string): PolicyStatement {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw malformedPolicy('This policy contains invalid Json');
  const s = raw as Record<string, unknown>;
  if (s['Effect'] === undefined) throw malformedPolicy('Missing required field Effect');
  if (s['Effect'] !== 'Allow' && s['Effect'] !== 'Deny') throw malformedPolicy(`Invalid effect: ${String(s['Effect'])}`);
  const out: PolicyStatement = { effect: s['Effect'], hasCondition: s['Condition'] !== undefined };
  if (s['Principal'] !== undefined) out.principal = principals(s['Principal']);
  else if (s['NotPrincipal'] !== undefined) out.notPrincipal = principals(s['NotPrincipal']);
  else throw malformedPolicy('Missing required field Principal');
  const badAction = () => malformedPolicy('Policy has invalid action');
  if (s['Action'] !== undefined) out.action = strings(s['Action'], badAction);
  else if (s['NotAction'] !== undefined) out.notAction = strings(s['NotAction'], badAction);
  else throw malformedPolicy('Missing required field Action');
  for (const a of out.action ?? out.notAction ?? []) if (!ACTION.test(a)) throw badAction();
  const badResource = () => malformedPolicy('Policy has invalid resource');
  if (s['Resource'] !== undefined) out.resource = strings(s['Resource'], badResource);
  else if (s['NotResource'] !== undefined) out.notResource = strings(s['NotResource'], badResource);
  else throw malformedPolicy('Missing required field Resource');
  for (const r of out.resource ?? out.notResource ?? []) checkResource(r, bucket);
  if (out.hasCondition && (s['Condition'] === null || typeof s['Condition'] !== 'object' || Array.isArray(s['Condition']))) {
    throw malformedPolicy('This policy contains invalid Json');
  }
  return out;
}

/** Parses `text` as PutBucketPolicy would for `bucket`; throws MalformedPolicy with S3's message. */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw malformedPolicy('Policy exceeds the maximum allowed document size.');
  if (!text.trimStart().startsWith('{')) throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformedPolicy('This policy contains invalid Json');
  }
  const d = doc as Record<string, unknown>;
  if (d['Version'] !== undefined && !VERSIONS.has(d['Version'] as string)) throw malformedPolicy('The policy must contain a valid version string');
  const raw = d['Statement'];
  if (raw === undefined) throw malformedPolicy('Missing required field Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformedPolicy('Could not parse the policy: Statement is empty!');
  return { statements: list.map((s) => statement(s, bucket)) };
}

/**
 * IAM's wildcard match: `*` any run of characters, `?` exactly one.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * Two pointers with one back-track point, no recursion: at most pattern × value steps, and both are
 * bounded (a policy is at most 20 KB and written by the owner; a key at most 1 KB).
 */
export function matchesPattern(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
