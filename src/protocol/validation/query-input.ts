/**
 * @module protocol/validation/query-input — gives a query-protocol input (every value a string,
 * lists already folded from `Name.member.N`) the types its model shapes say, so the one model
 * validator can check it like a JSON body: numbers and booleans are converted, maps are unfolded
 * from `Name.entry.N.key/value`. A string that is not a valid number or boolean stays a string,
 * and the validator reports the wrong type.
 */
import type { ServiceModel, ShapeDef } from './model-types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typed(model: ServiceModel, shapeName: string, value: unknown, depth: number): unknown {
  const shape: ShapeDef | undefined = model.shapes[shapeName];
  if (!shape || depth > 32) return value;
  switch (shape.type) {
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      if (typeof value !== 'string' || value.trim() === '') return value;
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'list':
      return Array.isArray(value) ? value.map((v) => typed(model, shape.member!, v, depth + 1)) : value;
    case 'map': {
      // `Name.entry.N.key` / `.value` arrive as { entry: [{ key, value }, ...] } or { entry: { N: {...} } }.
      const entries = isObject(value) ? value.entry : undefined;
      const list = Array.isArray(entries) ? entries : isObject(entries) ? Object.values(entries) : undefined;
      if (!list) return value;
      const out: Record<string, unknown> = {};
      for (const e of list) {
        if (isObject(e) && typeof e.key === 'string') {
          Object.defineProperty(out, e.key, { value: typed(model, shape.value!, e.value, depth + 1), enumerable: true, writable: true, configurable: true });
        }
      }
      return out;
    }
    case 'structure': {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = { ...value };
      for (const [name, target] of Object.entries(shape.members ?? {})) {
        const key = shape.locationNames?.[name] ?? name;
        if (Object.hasOwn(value, key)) out[key] = typed(model, target, value[key], depth + 1);
      }
      return out;
    }
    default:
      return value;
  }
}

/** `input` (as parsed from `Action=<operation>&...`) with its values in the model's types. */
export function typedQueryInput(model: ServiceModel, operation: string, input: unknown): unknown {
  const shape = model.operations[operation];
  return shape ? typed(model, shape, input, 0) : input;
}
