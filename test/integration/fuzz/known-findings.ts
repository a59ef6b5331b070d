/**
 * @module test/integration/fuzz/known-findings — fuzz findings that belong to another branch's
 * area (issue #12 items owned elsewhere, S3 conformance in #18). A case that fails and matches an
 * entry is reported as known instead of failing the suite; an entry that no longer matches any
 * failing case fails the suite instead, so the list cannot go stale: delete the entry once its
 * owner's fix has landed.
 */
import type { Outcome } from './runner.js';

export interface KnownFinding {
  readonly surface: string;
  readonly op?: RegExp;
  readonly kind?: RegExp;
  readonly where?: RegExp;
  /** Matched against the joined problems of the case. */
  readonly problem?: RegExp;
  /** Who fixes it: the issue item and the branch that owns it. */
  readonly owner: string;
  readonly summary: string;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  ...['sagemaker', 'logs', 'cloudwatch-json'].map((surface) => ({
    surface,
    kind: /^wrong-content-type$/,
    problem: /^accepted \(200\)/,
    owner: 'issue #12 item 9, branch harden-edges',
    summary: 'JSON 1.x operations accept any Content-Type (text/plain)',
  })),
  // Node's HTTP parser answers these itself (clientError), before any surface sees the request.
  ...['sagemaker', 'logs', 'cloudwatch-json', 'cloudwatch-cbor', 'cloudwatch-query', 'sts', 'iam', 's3', 'runtime'].map((surface) => ({
    surface,
    kind: /^(huge-header|bad-content-length|short-content-length)$/,
    problem: /^no x-amzn?-request-?id header/,
    owner: 'issue #12 item 11 (parser-level errors), branch harden-edges',
    summary: "bare 4xx without request id or typed body from Node's HTTP parser (header over 16 KiB, bad Content-Length)",
  })),
  {
    surface: 'runtime',
    kind: /^(too-long|too-short|pattern)$/,
    where: /^(ContentType|Accept|CustomAttributes|TargetModel|TargetContainerHostname|InferenceId|EnableExplanations|InferenceComponentName|SessionId|S3OutputPathExtension|Filename)$/,
    problem: /^accepted \(20[02]\)/,
    owner: 'issue #12 item 11, branch harden-edges',
    summary: 'runtime request headers are not checked against the model (length, pattern)',
  },
  {
    surface: 'runtime',
    kind: /^wrong-method$/,
    problem: /NoSuchBucket/,
    owner: 'issue #12 item 11, branch harden-edges',
    summary: 'GET/PUT/DELETE on /endpoints/{name}/invocations* answer an S3 NoSuchBucket',
  },
  {
    surface: 's3',
    kind: /^(enum|wrong-type|below-min|above-max)$/,
    problem: /^accepted \(20[04]\)/,
    owner: 'S3 conformance, issue #18 (item 7: headers accepted and dropped), branch s3conf',
    summary: 'S3 request headers and query parameters are not checked against the model (storage class, ACL, SSE, checksum algorithm, object lock, request payer, booleans, max-keys style integers, part numbers)',
  },
  {
    surface: 's3',
    kind: /^metadata-too-large$/,
    problem: /^accepted/,
    owner: 'issue #12 item 12, branch s3conf',
    summary: 'user metadata over 2 KB is stored instead of MetadataTooLarge',
  },
  {
    surface: 's3',
    op: /^DeleteObjects$/,
    kind: /^(entity-expansion|invalid-utf8)$/,
    problem: /^accepted/,
    owner: 'S3 conformance, issue #18, branch s3conf',
    summary: 'XML request bodies with a DTD (internal entities are expanded one level) or invalid UTF-8 are accepted instead of MalformedXML',
  },
];

export function knownFindingFor(surface: string, o: Outcome, list: readonly KnownFinding[] = KNOWN_FINDINGS): KnownFinding | undefined {
  const problems = o.problems.join('; ');
  return list.find(
    (k) =>
      k.surface === surface &&
      (!k.op || k.op.test(o.case.op)) &&
      (!k.kind || k.kind.test(o.case.kind)) &&
      (!k.where || k.where.test(o.case.where)) &&
      (!k.problem || k.problem.test(problems)),
  );
}
