/**
 * @module test/integration/fuzz/seed-values — the smallest valid value of a model shape: required
 * members only, strings that satisfy length, pattern and enum, numbers inside their range. Surface
 * fixtures add what Slipway needs beyond the model (an image, a resource that must exist).
 *
 * Documents are protocol-neutral JSON: timestamps are epoch seconds, blobs base64 text; the wire
 * encoders (./encoders.ts) turn them into each protocol's form.
 */
import { compilePattern } from '../../../src/protocol/validation/validate.js';
import { shapeOf, type AwsModel, type Shape } from './aws-model.js';

export type Doc = null | boolean | number | string | Doc[] | { [k: string]: Doc };

/** Strings tried for a pattern-constrained shape, after the hints its name suggests. */
const GENERIC = ['fz1', 'fuzz', 'a', 'A', '1', 'fuzz-1', 'fuzz_1', 'fuzz.1', 'fuzz/1', '/fuzz'];

function hints(name: string): string[] {
  const out: string[] = [];
  if (/role/i.test(name)) out.push('arn:aws:iam::000000000000:role/fuzz');
  if (/arn/i.test(name)) out.push('arn:aws:sagemaker:us-east-1:000000000000:model/fz1', 'arn:aws:iam::000000000000:role/fuzz');
  if (/(uri|url|path|location|destination)/i.test(name)) out.push('s3://fuzz-bucket/fz', '/opt/ml/processing/fz');
  if (/image/i.test(name)) out.push('fuzz-absent-image:latest');
  if (/regex/i.test(name)) out.push('x=(\\d+)');
  if (/kms/i.test(name)) out.push('alias/fuzz');
  if (/token/i.test(name)) out.push('fuzztoken');
  return out;
}

/** True when `s` satisfies the shape's length and pattern (patterns JS cannot express count as met). */
export function stringFits(shape: Shape, s: string): boolean {
  const n = [...s].length;
  if (shape.min !== undefined && n < shape.min) return false;
  if (shape.max !== undefined && n > shape.max) return false;
  if (shape.enum && !shape.enum.includes(s)) return false;
  if (shape.pattern !== undefined) {
    const re = compilePattern(shape.pattern);
    if (re && !re.test(s)) return false;
  }
  return true;
}

function minimalString(shapeName: string, memberName: string, shape: Shape): string {
  if (shape.enum && shape.enum.length > 0) return shape.enum[0]!;
  const min = shape.min ?? 0;
  for (const c of [...hints(memberName), ...hints(shapeName), ...GENERIC]) {
    for (const v of [c, c.padEnd(min, '1'), c.padEnd(min, 'a')]) if (stringFits(shape, v)) return v;
  }
  throw new Error(`no seed string fits ${shapeName} (pattern ${shape.pattern}, ${shape.min}..${shape.max}); give the fixture an override`);
}

function minimalNumber(shape: Shape): number {
  if (shape.min !== undefined) return shape.min;
  if (shape.max !== undefined && shape.max < 1) return shape.max;
  return 1;
}

/**
 * The minimal valid document for `shapeName`. Lists and maps get one element even when the model
 * allows none, so there is something inside to mutate.
 */
export function minimalValue(model: AwsModel, shapeName: string, memberName = shapeName, depth = 0): Doc {
  const shape = shapeOf(model, shapeName);
  if (depth > 12) throw new Error(`shape ${shapeName} nests too deep for a minimal value`);
  switch (shape.type) {
    case 'structure': {
      const out: { [k: string]: Doc } = {};
      const members = shape.members ?? {};
      const names = shape.union ? Object.keys(members).slice(0, 1) : (shape.required ?? []);
      for (const name of names) {
        const ref = members[name];
        if (!ref || ref.location === 'uri' || ref.location === 'header' || ref.location === 'querystring') {
          // REST members outside the body are filled by the surface's request builder.
          if (ref) out[name] = minimalValue(model, ref.shape, name, depth + 1);
          continue;
        }
        out[name] = minimalValue(model, ref.shape, name, depth + 1);
      }
      return out;
    }
    case 'list': {
      const count = Math.max(shape.min ?? 0, 1);
      return Array.from({ length: count }, () => minimalValue(model, shape.member!.shape, memberName, depth + 1));
    }
    case 'map': {
      const key = minimalValue(model, shape.key!.shape, `${memberName}Key`, depth + 1) as string;
      return { [key]: minimalValue(model, shape.value!.shape, memberName, depth + 1) };
    }
    case 'string':
      return minimalString(shapeName, memberName, shape);
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return minimalNumber(shape);
    case 'boolean':
      return false;
    case 'timestamp':
      return 1_700_000_000;
    case 'blob':
      return Buffer.from('fuzz').toString('base64');
    default:
      throw new Error(`shape ${shapeName} has type ${shape.type}, which the fuzzer does not generate`);
  }
}

/** `base` with `patch` merged in depth-first; `undefined` in the patch deletes a member. */
export function mergeDoc(base: Doc, patch: Doc | undefined | Record<string, unknown>): Doc {
  if (patch === undefined) return base;
  if (!isObject(base) || !isObject(patch as Doc)) return patch as Doc;
  const out: { [k: string]: Doc } = { ...base };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === undefined) delete out[k];
    else out[k] = k in out ? mergeDoc(out[k]!, v as Doc) : (v as Doc);
  }
  return out;
}

export function isObject(v: Doc | undefined): v is { [k: string]: Doc } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function cloneDoc<T extends Doc>(d: T): T {
  return structuredClone(d);
}
