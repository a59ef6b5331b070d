/**
 * @module resources/jsonpath — the JSONPath subset SageMaker documents for batch
 * transform DataProcessing filters (contract §5): `$`, `.name`, `.*`/`[*]`, `['a','b']`,
 * `[i,j]` (negative allowed), `[start:end]`. A single key or index selects that value; several
 * keys give an object with them, several indexes or a slice an array. Pure.
 */

type Step =
  | { kind: 'key'; keys: string[] }
  | { kind: 'index'; indexes: number[] }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'all' };

export class JsonPathError extends Error {}

export function parseJsonPath(path: string): Step[] {
  const p = path.trim();
  if (!p.startsWith('$')) throw new JsonPathError(`JSONPath ${path} must start with $`);
  const steps: Step[] = [];
  let i = 1;
  while (i < p.length) {
    if (p[i] === '.') {
      const m = /^\.(\*|[A-Za-z_][\w-]*)/.exec(p.slice(i));
      if (!m) throw new JsonPathError(`JSONPath ${path}: bad member at ${i}`);
      steps.push(m[1] === '*' ? { kind: 'all' } : { kind: 'key', keys: [m[1]!] });
      i += m[0].length;
    } else if (p[i] === '[') {
      const close = p.indexOf(']', i);
      if (close < 0) throw new JsonPathError(`JSONPath ${path}: missing ]`);
      steps.push(bracket(p.slice(i + 1, close).trim(), path));
      i = close + 1;
    } else throw new JsonPathError(`JSONPath ${path}: unexpected '${p[i]}' at ${i}`);
  }
  return steps;
}

function bracket(body: string, path: string): Step {
  if (body === '*') return { kind: 'all' };
  if (/^['"]/.test(body)) {
    const keys = [...body.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]!);
    if (!keys.length) throw new JsonPathError(`JSONPath ${path}: bad key list [${body}]`);
    return { kind: 'key', keys };
  }
  if (body.includes(':')) {
    const [a, b] = body.split(':').map((s) => s.trim());
    const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
    const start = num(a);
    const end = num(b);
    if ((start !== undefined && !Number.isInteger(start)) || (end !== undefined && !Number.isInteger(end))) throw new JsonPathError(`JSONPath ${path}: bad slice [${body}]`);
    return { kind: 'slice', start, end };
  }
  const indexes = body.split(',').map((s) => Number(s.trim()));
  if (indexes.some((n) => !Number.isInteger(n))) throw new JsonPathError(`JSONPath ${path}: bad index list [${body}]`);
  return { kind: 'index', indexes };
}

const at = (arr: unknown[], i: number) => arr[i < 0 ? arr.length + i : i];

/** Applies a parsed path; throws JsonPathError when the value does not have the selected parts. */
export function applyJsonPath(steps: Step[], value: unknown): unknown {
  let v = value;
  for (const s of steps) {
    if (s.kind === 'all') {
      if (Array.isArray(v)) continue;
      if (v && typeof v === 'object') v = Object.values(v);
      else throw new JsonPathError('* applied to a scalar');
    } else if (s.kind === 'key') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new JsonPathError(`key ${s.keys.join(',')} applied to a non-object`);
      const o = v as Record<string, unknown>;
      for (const k of s.keys) if (!(k in o)) throw new JsonPathError(`key '${k}' not found`);
      v = s.keys.length === 1 ? o[s.keys[0]!] : Object.fromEntries(s.keys.map((k) => [k, o[k]]));
    } else if (s.kind === 'index') {
      if (!Array.isArray(v)) throw new JsonPathError('index applied to a non-array');
      const arr = v;
      for (const i of s.indexes) if (at(arr, i) === undefined) throw new JsonPathError(`index ${i} out of range`);
      v = s.indexes.length === 1 ? at(arr, s.indexes[0]!) : s.indexes.map((i) => at(arr, i));
    } else {
      if (!Array.isArray(v)) throw new JsonPathError('slice applied to a non-array');
      v = v.slice(s.start, s.end);
    }
  }
  return v;
}
