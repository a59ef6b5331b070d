/**
 * @module test/integration/fuzz/rest-cases — REST protocols (REST-JSON runtime, REST-XML S3): a
 * document becomes a request by the model's wire locations (URI labels, query string, headers,
 * payload), and one-fault mutations of the members outside the body: every scalar there is text,
 * so the faults are lengths, patterns, enums, ranges, numbers that are not numbers, and absence.
 *
 *   doc ──requestUri {Label}/{Key+}──► path  ──querystring──► ?a=b  ──header(s)──► headers
 *       └─payload member──► raw bytes (blob) | XML (rest-xml structure) | JSON (rest-json)
 */
import { shapeOf, type AwsModel, type MemberRef, type Shape } from './aws-model.js';
import type { Mutation } from './mutations.js';
import { Prng } from './prng.js';
import { cloneDoc, isObject, minimalValue, stringFits, type Doc } from './seed-values.js';
import type { WireRequest } from './wire.js';

function text(shape: Shape, v: Doc): string {
  if (typeof v === 'number' && shape.type === 'timestamp') return new Date(v * 1000).toUTCString();
  return String(v);
}

/** Escapes text as botocore's ElementTree does (quotes stay as they are: ETags carry them). */
function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** REST-XML body of a structure (S3 style: locationName names, flattened lists repeat the element). */
export function toXmlDoc(model: AwsModel, shapeName: string, root: string, v: Doc, xmlns?: string): string {
  const inner = (shape: Shape, value: Doc): string => {
    if (shape.type === 'structure' && isObject(value)) {
      return Object.entries(value)
        .map(([k, x]) => {
          const ref = shape.members?.[k];
          const name = ref?.locationName ?? k;
          const target = ref ? shapeOf(model, ref.shape) : undefined;
          if (target?.type === 'list' && Array.isArray(x) && target.flattened) {
            return x.map((item) => `<${name}>${inner(shapeOf(model, target.member!.shape), item)}</${name}>`).join('');
          }
          return `<${name}>${target ? inner(target, x) : escapeXml(String(x))}</${name}>`;
        })
        .join('');
    }
    if (shape.type === 'list' && Array.isArray(value)) {
      const item = shapeOf(model, shape.member!.shape);
      const name = shape.member!.locationName ?? 'member';
      return value.map((x) => `<${name}>${inner(item, x)}</${name}>`).join('');
    }
    return escapeXml(value === null ? '' : text(shape, value));
  };
  return `<?xml version="1.0" encoding="UTF-8"?><${root}${xmlns ? ` xmlns="${xmlns}"` : ''}>${inner(shapeOf(model, shapeName), v)}</${root}>`;
}

/** The request for `op` carrying `doc`, laid out by the model's member locations. */
export function restRequest(model: AwsModel, op: string, doc: Doc): WireRequest {
  const o = model.operations[op]!;
  const input = o.input ? shapeOf(model, o.input.shape) : { type: 'structure', members: {} };
  const members = input.members ?? {};
  const d = isObject(doc) ? doc : {};
  const [pathPart, staticQuery] = o.http.requestUri.split('?') as [string, string | undefined];
  let path = pathPart.replace(/\{(\w+)(\+?)\}/g, (_m, name: string, greedy: string) => {
    const v = d[Object.keys(members).find((k) => (members[k]!.locationName ?? k) === name) ?? name];
    if (v === undefined || v === null) return '';
    const s = String(v);
    return greedy ? s.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(s);
  });
  const query: string[] = staticQuery ? [staticQuery] : [];
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  for (const [name, ref] of Object.entries(members)) {
    const v = d[name];
    if (v === undefined || v === null) continue;
    const shape = shapeOf(model, ref.shape);
    if (ref.location === 'querystring') {
      const values = Array.isArray(v) ? v : [v];
      for (const x of values) query.push(`${encodeURIComponent(ref.locationName ?? name)}=${encodeURIComponent(text(shape, x))}`);
    } else if (ref.location === 'header') headers[(ref.locationName ?? name).toLowerCase()] = Array.isArray(v) ? v.join(',') : text(shape, v);
    else if (ref.location === 'headers' && isObject(v)) for (const [k, x] of Object.entries(v)) headers[`${ref.locationName ?? ''}${k}`.toLowerCase()] = String(x);
    else if (ref.location === undefined && input.payload === name) {
      if (shape.type === 'blob' || shape.type === 'string') body = typeof v === 'string' ? (shape.type === 'blob' ? Buffer.from(v, 'base64') : Buffer.from(v)) : Buffer.from(JSON.stringify(v));
      else if (model.metadata.protocol === 'rest-xml') body = Buffer.from(toXmlDoc(model, ref.shape, ref.locationName ?? ref.shape, v, (ref as MemberRef & { xmlNamespace?: { uri: string } }).xmlNamespace?.uri));
      else body = Buffer.from(JSON.stringify(v));
    }
  }
  if (path === '') path = '/';
  return { method: o.http.method, path: query.length ? `${path}?${query.join('&')}` : path, headers, ...(body ? { body } : {}) };
}

/**
 * Printable junk only: control characters in a header are refused by Node's parser before any
 * surface runs. The one exception, a tab inside a value, is legal in a field (RFC 9110 §5.5).
 */
const PRINTABLE_BREAKERS = ['!@#$%^&*()', ' space ', 'é', '..', '-', 'a b', '"\'<>', '~~~', 'a\tb'];

/**
 * Junk that breaks the pattern. In a header it must still break it as received: a field value
 * loses its leading and trailing whitespace (RFC 9110 §5.5), so `" space "` arrives as `space`.
 */
function breaker(shape: Shape, inHeader: boolean): string | undefined {
  if (shape.pattern === undefined || shape.enum) return undefined;
  return PRINTABLE_BREAKERS.find(
    (j) => (shape.max === undefined || j.length <= shape.max) && !stringFits({ type: 'string', pattern: shape.pattern }, inHeader ? j.trim() : j),
  );
}

/** HTTP conditional dates: a recipient MUST ignore one that is not a valid date (RFC 9110 §13.1.3, §13.1.4). */
const CONDITIONAL_DATE = /^(if-modified-since|if-unmodified-since|x-amz-copy-source-if-modified-since|x-amz-copy-source-if-unmodified-since)$/i;

export interface RestMutationOptions {
  /**
   * Leaving out a required query or header member makes another operation of the same path
   * (S3: PUT ?partNumber without uploadId is a PutObject), so the case may succeed.
   */
  readonly dropChangesOperation?: boolean;
}

/**
 * Mutations of the members outside the body (URI labels, query string, headers), plus an
 * over-size blob payload. URI labels are never dropped: without them the request names another
 * resource (on Slipway's one port, another surface). Content-Length is framing, fuzzed by
 * ./http-edges.ts, not here.
 */
export function restMemberMutations(model: AwsModel, op: string, seed: Doc, prng: Prng, opts: RestMutationOptions = {}): Mutation[] {
  const o = model.operations[op]!;
  if (!o.input || !isObject(seed)) return [];
  const input = shapeOf(model, o.input.shape);
  const required = new Set(input.required ?? []);
  const out: Mutation[] = [];
  const add = (kind: Mutation['kind'], where: string, detail: string, value: Doc | undefined, expect: 'reject' | 'any' = 'reject') => {
    const doc = cloneDoc(seed) as Record<string, Doc>;
    if (value === undefined) delete doc[where];
    else doc[where] = value;
    out.push({ kind, where, detail, doc, expect });
  };
  for (const [name, ref] of Object.entries(input.members ?? {})) {
    const shape = shapeOf(model, ref.shape);
    const present = Object.hasOwn(seed, name);
    if (ref.location === undefined) {
      if (input.payload === name && shape.type === 'blob' && shape.max !== undefined && shape.max <= 64 * 1024 * 1024) {
        add('too-long', name, `${shape.max + 1}-byte body (max ${shape.max})`, Buffer.alloc(shape.max + 1, 0x61).toString('base64'));
      }
      continue;
    }
    if (ref.location === 'headers' || ref.locationName?.toLowerCase() === 'content-length') continue;
    if (ref.location !== 'uri') {
      const mustRefuse = required.has(name) && !opts.dropChangesOperation;
      if (present) add(required.has(name) ? 'drop-required' : 'drop-optional', name, `${name} left out`, undefined, mustRefuse ? 'reject' : 'any');
      else {
        try {
          add('add-optional', name, 'its minimal valid value', minimalValue(model, ref.shape, name), 'any');
        } catch {
          // no generable value: the constraint cases below still cover the member
        }
      }
    }
    if (shape.type === 'string') {
      if (shape.max !== undefined && shape.max < 60_000) add('too-long', name, `${shape.max + 1} characters (max ${shape.max})`, 'a'.repeat(shape.max + 1));
      if (shape.min !== undefined && shape.min > 1) add('too-short', name, `${shape.min - 1} characters (min ${shape.min})`, 'a'.repeat(shape.min - 1));
      if (shape.enum) add('enum', name, 'a value outside the enum', 'NotAnEnumValue');
      const junk = breaker(shape, ref.location === 'header');
      if (junk !== undefined) add('pattern', name, `${JSON.stringify(junk)} against ${shape.pattern}`, junk);
    } else if (['integer', 'long', 'float', 'double'].includes(shape.type)) {
      add('wrong-type', name, `"abc" for a ${shape.type}`, 'abc');
      if (shape.min !== undefined) add('below-min', name, `${shape.min - 1} (min ${shape.min})`, shape.min - 1);
      if (shape.max !== undefined) add('above-max', name, `${shape.max + 1} (max ${shape.max})`, shape.max + 1);
    } else if (shape.type === 'boolean') add('wrong-type', name, '"maybe" for a boolean', 'maybe');
    else if (shape.type === 'timestamp') add('wrong-type', name, '"not-a-date" for a timestamp', 'not-a-date', CONDITIONAL_DATE.test(ref.locationName ?? '') ? 'any' : 'reject');
  }
  return prng.shuffle(out);
}
