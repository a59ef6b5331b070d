/**
 * @module test/integration/fuzz/encoders — puts a (possibly mutated) document on the wire as JSON
 * text, a CBOR map or query parameters. Model types steer the encoding of values that have the
 * right type (CBOR timestamps become tag-1 dates, query lists `Name.member.N`); values of the wrong
 * type are sent as they are, in the nearest form the protocol can carry.
 */
import { encode } from 'cbor-x';
import type { AwsModel, MemberRef, Shape } from './aws-model.js';
import { RAW } from './mutations.js';
import { isObject, type Doc } from './seed-values.js';

/** JSON text; `RAW` strings become their raw text (e.g. the number literal `1e400`). */
export function encodeJson(doc: Doc): Buffer {
  const text = JSON.stringify(doc).replace(/"\\u0000raw:([^"]*)"/g, '$1');
  return Buffer.from(text, 'utf8');
}

function rawValue(v: string): number | string {
  const text = v.slice(RAW.length);
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
}

function shapeFor(model: AwsModel, ref: MemberRef | undefined): Shape | undefined {
  return ref ? model.shapes[ref.shape] : undefined;
}

/** The value as the CBOR encoder should see it (Date for timestamps, bytes for blobs). */
function cborValue(model: AwsModel, shape: Shape | undefined, v: Doc): unknown {
  if (typeof v === 'string' && v.startsWith(RAW)) return rawValue(v);
  if (!shape) return v;
  if (shape.type === 'timestamp' && typeof v === 'number') return new Date(v * 1000);
  if (shape.type === 'blob' && typeof v === 'string') return Buffer.from(v, 'base64');
  if (shape.type === 'structure' && isObject(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cborValue(model, shapeFor(model, shape.members?.[k]), x)]));
  }
  if (shape.type === 'list' && Array.isArray(v)) return v.map((x) => cborValue(model, shapeFor(model, shape.member), x));
  if (shape.type === 'map' && isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cborValue(model, shapeFor(model, shape.value), x)]));
  return v;
}

export function encodeCbor(model: AwsModel, inputShape: string, doc: Doc): Buffer {
  return Buffer.from(encode(cborValue(model, model.shapes[inputShape], doc)));
}

function scalarText(shape: Shape | undefined, v: Doc): string {
  if (typeof v === 'string') return v.startsWith(RAW) ? v.slice(RAW.length) : v;
  if (typeof v === 'number' && shape?.type === 'timestamp') return new Date(v * 1000).toISOString();
  return String(v);
}

function flatten(model: AwsModel, shape: Shape | undefined, v: Doc, prefix: string, out: [string, string][]): void {
  if (v === null) return; // the query protocol has no null: the member is simply absent
  if (Array.isArray(v)) {
    const item = shape?.type === 'list' ? shapeFor(model, shape.member) : undefined;
    const flat = shape?.type === 'list' && (shape.flattened || shape.member?.flattened);
    v.forEach((x, i) => flatten(model, item, x, flat ? `${prefix}.${i + 1}` : `${prefix}.member.${i + 1}`, out));
    return;
  }
  if (isObject(v)) {
    if (shape?.type === 'map') {
      Object.entries(v).forEach(([k, x], i) => {
        out.push([`${prefix}.entry.${i + 1}.key`, k]);
        flatten(model, shapeFor(model, shape.value), x, `${prefix}.entry.${i + 1}.value`, out);
      });
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      const ref = shape?.type === 'structure' ? shape.members?.[k] : undefined;
      const name = ref?.locationName ?? k;
      flatten(model, shapeFor(model, ref), x, prefix === '' ? name : `${prefix}.${name}`, out);
    }
    return;
  }
  out.push([prefix, scalarText(shape, v)]);
}

/** `Action=<op>&Version=<api>&...` form body of a document. */
export function encodeQuery(model: AwsModel, operation: string, doc: Doc): Buffer {
  const out: [string, string][] = [
    ['Action', operation],
    ['Version', model.metadata.apiVersion],
  ];
  const input = model.operations[operation]?.input?.shape;
  flatten(model, input ? model.shapes[input] : undefined, doc, '', out);
  return Buffer.from(new URLSearchParams(out).toString(), 'utf8');
}
