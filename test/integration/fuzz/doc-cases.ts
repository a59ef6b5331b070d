/**
 * @module test/integration/fuzz/doc-cases — fuzz cases for the document protocols (JSON 1.0/1.1,
 * RPC v2 CBOR, query): the model-driven mutations of an operation's seed, and malformed bodies
 * (truncated, not the format at all, wrong top-level type, invalid UTF-8, deep nesting, a wrong
 * Content-Type, an oversized body).
 */
import type { AwsModel } from './aws-model.js';
import { encodeCbor, encodeJson, encodeQuery } from './encoders.js';
import { CORAL_UNKNOWN_OPERATION, type Protocol } from './error-format.js';
import { mutationsOf, sampleMutations } from './mutations.js';
import type { Prng } from './prng.js';
import type { FuzzCase } from './runner.js';
import { isObject, stringFits, type Doc } from './seed-values.js';
import type { WireRequest } from './wire.js';

/** How one protocol puts an operation's body on the wire. */
export interface DocWire {
  readonly protocol: Protocol;
  /** The request for `op` carrying `body` (already encoded). */
  request(op: string, body: Buffer, contentType?: string): WireRequest;
  encode(op: string, doc: Doc): Buffer;
  readonly contentType: string;
}

export function jsonWire(targetPrefix: string, version: '1.0' | '1.1'): DocWire {
  const contentType = `application/x-amz-json-${version}`;
  return {
    protocol: 'json',
    contentType,
    encode: (_op, doc) => encodeJson(doc),
    request: (op, body, ct = contentType) => ({
      method: 'POST',
      path: '/',
      headers: { 'content-type': ct, 'x-amz-target': `${targetPrefix}.${op}` },
      body,
    }),
  };
}

export function cborWire(model: AwsModel, serviceName: string): DocWire {
  const contentType = 'application/cbor';
  return {
    protocol: 'cbor',
    contentType,
    encode: (op, doc) => encodeCbor(model, model.operations[op]?.input?.shape ?? '', doc),
    request: (op, body, ct = contentType) => ({
      method: 'POST',
      path: `/service/${serviceName}/operation/${op}`,
      headers: { 'content-type': ct, accept: 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
      body,
    }),
  };
}

/** The query protocol; `scope` is the SigV4 service that routes it (`sts`, `monitoring`). */
export function queryWire(model: AwsModel, scope: string): DocWire {
  const contentType = 'application/x-www-form-urlencoded; charset=utf-8';
  return {
    protocol: 'query',
    contentType,
    encode: (op, doc) => encodeQuery(model, op, doc),
    request: (_op, body, ct = contentType) => ({
      method: 'POST',
      path: '/',
      headers: { 'content-type': ct, authorization: authorizationFor(scope) },
      body,
    }),
  };
}

/** An unsigned-but-well-formed SigV4 Authorization header: the router reads the service from its scope. */
export function authorizationFor(service: string): string {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `AWS4-HMAC-SHA256 Credential=AKIDFUZZ/${date}/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
}

/** The template token a seed carries where each case puts its own unique name (lower case: S3 bucket names). */
export const TOKEN = 'fztpl0000';

/** A unique, same-length replacement for TOKEN: `fz` + 7 base-36 digits. */
export function tokenFor(n: number): string {
  return `fz${n.toString(36).padStart(7, '0')}`;
}

export function replaceToken(d: Doc, token: string): Doc {
  if (typeof d === 'string') return d.includes(TOKEN) ? d.split(TOKEN).join(token) : d;
  if (Array.isArray(d)) return d.map((x) => replaceToken(x, token));
  if (isObject(d)) return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, replaceToken(v, token)]));
  return d;
}

export function hasToken(d: Doc): boolean {
  return JSON.stringify(d).includes(TOKEN);
}

export interface DocCaseOptions {
  readonly model: AwsModel;
  readonly op: string;
  readonly seed: Doc;
  readonly wire: DocWire;
  readonly prng: Prng;
  /** Most model-driven mutations per operation. */
  readonly cap: number;
  /** First number for unique tokens (cases of different operations must not collide). */
  readonly tokenBase: number;
  /** Add the malformed-body cases (per operation). */
  readonly malformed?: boolean;
  /** Add the oversized-body case (once per surface is enough). */
  readonly huge?: { bytes: number };
}

/** The seed itself (must succeed), then sampled mutations, then malformed bodies. */
export function documentCases(o: DocCaseOptions): { seed: FuzzCase; cases: FuzzCase[] } {
  const input = o.model.operations[o.op]?.input?.shape;
  const tokenized = hasToken(o.seed);
  let n = o.tokenBase;
  const mk = (kind: string, where: string, detail: string, expect: 'reject' | 'any', doc: Doc | undefined, raw?: { body: Buffer; contentType?: string; fresh?: boolean }): FuzzCase => {
    const token = tokenized ? tokenFor(n++) : undefined;
    let body = raw?.body ?? o.wire.encode(o.op, token ? replaceToken(doc!, token) : doc!);
    // Raw bodies built from the seed carry the template token as bytes (same length: swap in place).
    if (raw && token) body = Buffer.from(body.toString('latin1').split(TOKEN).join(token), 'latin1');
    return {
      op: o.op,
      kind,
      where,
      detail,
      expect,
      request: o.wire.request(o.op, body, raw?.contentType),
      ...(raw?.fresh ? { fresh: true } : {}),
      ...(token ? { token } : {}),
    };
  };
  const seed = mk('seed', '', 'the valid seed', 'any', o.seed);
  const cases: FuzzCase[] = [];
  if (input) {
    const all = mutationsOf(o.model, input, o.seed);
    for (const m of sampleMutations(all, o.cap, o.prng)) {
      const expect = m.lostInQuery && o.wire.protocol === 'query' ? 'any' : m.expect;
      cases.push(mk(m.kind, m.where, m.detail, expect, m.doc));
    }
  }
  const requiresSomething = input ? (o.model.shapes[input]?.required?.length ?? 0) > 0 : false;
  if (o.malformed) cases.push(...malformedCases(o, mk, requiresSomething));
  if (o.huge) {
    const body = Buffer.alloc(o.huge.bytes + 1, 0x20);
    cases.push(mk('huge-body', '', `${o.huge.bytes + 1} bytes`, 'reject', undefined, { body, fresh: true }));
  }
  return { seed, cases };
}

type Make = (kind: string, where: string, detail: string, expect: 'reject' | 'any', doc: Doc | undefined, raw?: { body: Buffer; contentType?: string; fresh?: boolean }) => FuzzCase;

/**
 * A path to a string member of the seed for the invalid-UTF-8 case: the first one whose pattern
 * would pass what a lenient decoder makes of the bytes (so only the encoding can make the request
 * invalid), else the first string.
 */
function stringPath(model: AwsModel, shapeName: string | undefined, d: Doc, freeOnly: boolean, path: (string | number)[] = []): (string | number)[] | undefined {
  const shape = shapeName ? model.shapes[shapeName] : undefined;
  // A lenient decoder turns C3 28 into U+FFFD then "(".
  if (typeof d === 'string') return !freeOnly || (shape && !shape.enum && stringFits({ type: 'string', ...(shape.pattern ? { pattern: shape.pattern } : {}) }, '\uFFFD(')) ? path : undefined;
  if (Array.isArray(d)) return d.length ? stringPath(model, shape?.member?.shape, d[0]!, freeOnly, [...path, 0]) : undefined;
  if (isObject(d)) {
    for (const [k, v] of Object.entries(d)) {
      const next = shape?.type === 'map' ? shape.value?.shape : shape?.members?.[k]?.shape;
      const p = stringPath(model, next, v, freeOnly, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

const BAD_UTF8_MARK = 'fzBADUTF8';

/** `{members, ...rest of the JSON object}`. */
function prepend(json: Buffer, members: string): Buffer {
  const text = json.toString('utf8').trim();
  return Buffer.from(text === '{}' ? `{${members}}` : `{${members},${text.slice(1)}`);
}

function malformedCases(o: DocCaseOptions, mk: Make, requiresSomething: boolean): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const valid = o.wire.encode(o.op, o.seed);
  const withDoc = (doc: Doc) => o.wire.encode(o.op, doc);
  if (o.wire.protocol === 'json') {
    cases.push(
      mk('truncated', '', 'the seed cut in half', 'reject', undefined, { body: valid.subarray(0, Math.max(1, valid.length >> 1)) }),
      mk('not-json', '', 'plain text', 'reject', undefined, { body: Buffer.from('this is not json') }),
      mk('top-level-array', '', 'a JSON array', 'reject', undefined, { body: Buffer.from('[1,2]') }),
      mk('top-level-scalar', '', 'a JSON string', 'reject', undefined, { body: Buffer.from('"x"') }),
      { ...mk('wrong-content-type', '', 'the seed as text/plain', 'reject', o.seed, { body: valid, contentType: 'text/plain' }), exact: CORAL_UNKNOWN_OPERATION },
      mk('empty-body', '', 'no body at all', requiresSomething ? 'reject' : 'any', undefined, { body: Buffer.alloc(0) }),
      mk('duplicate-key', 'FuzzUnknownMember', 'a member given twice', 'any', undefined, { body: prepend(valid, '"FuzzUnknownMember":1,"FuzzUnknownMember":2') }),
      mk('deep-nesting', 'FuzzUnknownMember', '20,000 nested arrays in an unknown member', 'any', undefined, {
        body: prepend(valid, `"FuzzUnknownMember":${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      }),
    );
  }
  if (o.wire.protocol === 'cbor') {
    cases.push(
      mk('truncated', '', 'the seed cut in half', 'reject', undefined, { body: valid.subarray(0, Math.max(1, valid.length >> 1)) }),
      mk('not-cbor', '', 'a reserved initial byte', 'reject', undefined, { body: Buffer.from([0xfc, 0x00, 0x01]) }),
      mk('top-level-array', '', 'a CBOR array', 'reject', undefined, { body: Buffer.from([0x82, 0x01, 0x02]) }),
      mk('huge-declared-length', '', 'an array claiming 2^60 items', 'reject', undefined, { body: Buffer.from([0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0]) }),
      mk('deep-nesting', '', '20,000 nested arrays', 'reject', undefined, { body: Buffer.concat([Buffer.alloc(20_000, 0x81), Buffer.from([0x01])]) }),
      mk('wrong-content-type', '', 'the seed as application/json', 'any', o.seed, { body: valid, contentType: 'application/json' }),
    );
  }
  if (o.wire.protocol === 'query') {
    const action = `Action=${o.op}&Version=${o.model.metadata.apiVersion}`;
    cases.push(
      mk('missing-action', '', 'no Action parameter', 'reject', undefined, { body: Buffer.from(`Version=${o.model.metadata.apiVersion}`) }),
      mk('unknown-action', '', 'an Action the service does not have', 'reject', undefined, { body: Buffer.from(`Action=FuzzNoSuchAction&Version=${o.model.metadata.apiVersion}`) }),
      mk('bad-percent-encoding', '', 'a broken %-escape', 'any', undefined, { body: Buffer.concat([valid, Buffer.from('&FuzzUnknownMember=%zz%')]) }),
      mk('key-conflict', '', 'a scalar and a structure under one name', 'reject', undefined, { body: Buffer.from(`${action}&FuzzA=1&FuzzA.B=2`) }),
      mk('key-conflict', '', 'a structure, then a scalar under one name', 'reject', undefined, { body: Buffer.from(`${action}&FuzzA.B=2&FuzzA=1`) }),
      mk('prototype-key', '', '__proto__.fuzzPolluted', 'any', undefined, { body: Buffer.concat([valid, Buffer.from('&__proto__.fuzzPolluted=1')]) }),
      mk('prototype-key', '', 'constructor.prototype.fuzzPolluted', 'any', undefined, { body: Buffer.concat([valid, Buffer.from('&constructor.prototype.fuzzPolluted=1')]) }),
      mk('list-index', '', 'a non-numeric list index', 'any', undefined, { body: Buffer.concat([valid, Buffer.from('&FuzzList.member.x=1&FuzzList.member.1=2')]) }),
    );
  }
  // Invalid UTF-8 inside a string member, in each protocol's own form.
  const input = o.model.operations[o.op]?.input?.shape;
  const at = stringPath(o.model, input, o.seed, true) ?? stringPath(o.model, input, o.seed, false);
  if (at) {
    const doc = structuredClone(o.seed) as Record<string, Doc>;
    let node: Doc = doc;
    for (const p of at.slice(0, -1)) node = (node as Record<string | number, Doc>)[p]!;
    // CBOR strings carry their length: the mark there is "þ" (C3 BE), patched in place to C3 28.
    const mark = o.wire.protocol === 'cbor' ? '\u00fe' : BAD_UTF8_MARK;
    (node as Record<string | number, Doc>)[at[at.length - 1]!] = mark;
    const text = withDoc(doc);
    const i = text.indexOf(Buffer.from(mark));
    if (i >= 0) {
      const bad = o.wire.protocol === 'query' ? Buffer.from('%C3%28') : Buffer.from([0xc3, 0x28]);
      const body = Buffer.concat([text.subarray(0, i), bad, text.subarray(i + Buffer.byteLength(mark))]);
      cases.push(mk('invalid-utf8', at.join('.'), 'bytes C3 28 in a string member', 'reject', undefined, { body }));
    }
  }
  return cases;
}
