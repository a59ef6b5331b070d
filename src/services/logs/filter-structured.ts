/**
 * @module services/logs/filter-structured — JSON (`{ ... }`) and space-delimited (`[ ... ]`) filter
 * patterns, built on ./filter-expression.ts.
 *
 * JSON: the message must be a JSON object; `$.a.b[0].c` selects into it.
 * Space-delimited: the message splits at spaces into fields, a "quoted" or [bracketed] run counting
 * as one field (without its quotes or brackets); the pattern names the fields in order, `...`
 * standing for any number of them, and a field may carry conditions (`status = 4* || status = 5*`).
 * Without `...` the number of fields must match exactly.
 */
import { FilterPatternError, parseCondition, type Condition, type Resolved } from './filter-expression.js';

const NONE: Resolved = { found: false, value: undefined };
const SELECTOR = /^\$(\.[A-Za-z0-9_@:-]+|\[\d+\])*$/;

/** `{ expr }` → predicate over the message. */
export function compileJsonPattern(text: string): (message: string) => boolean {
  const inner = text.trim();
  if (!inner.endsWith('}')) throw new FilterPatternError("Invalid filter pattern: a JSON pattern must end with '}'.");
  const cond = parseCondition(inner.slice(1, -1), (w) => SELECTOR.test(w));
  const paths = new Map<string, (string | number)[]>();
  const pathOf = (selector: string) => {
    let p = paths.get(selector);
    if (!p) {
      p = [...selector.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
      paths.set(selector, p);
    }
    return p;
  };
  return (message) => {
    const doc = parseJsonObject(message);
    if (doc === undefined) return false;
    return cond((selector) => select(doc, pathOf(selector)));
  };
}

function parseJsonObject(message: string): object | undefined {
  const t = message.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

function select(doc: object, path: (string | number)[]): Resolved {
  let cur: unknown = doc;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return NONE;
      cur = cur[step];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, step)) return NONE;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}

interface FieldSpec {
  /** undefined for `...` */
  name?: string;
  condition?: Condition;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `[a, b = 1, ..., c]` → predicate over the message. */
export function compileDelimitedPattern(text: string): (message: string) => boolean {
  const inner = text.trim();
  if (!inner.endsWith(']')) throw new FilterPatternError("Invalid filter pattern: a space-delimited pattern must end with ']'.");
  const specs: FieldSpec[] = splitTopLevel(inner.slice(1, -1)).map((part) => {
    const p = part.trim();
    if (p === '...') return {};
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(p)?.[0];
    if (!name) throw new FilterPatternError(`Invalid filter pattern: '${p}' is not a field name.`);
    if (p.length === name.length) return { name };
    return { name, condition: parseCondition(p, (w) => FIELD_NAME.test(w)) };
  });
  if (specs.length === 0) throw new FilterPatternError('Invalid filter pattern: a space-delimited pattern needs at least one field.');
  return (message) => {
    const fields = splitMessage(message);
    return bind(specs, 0, fields, 0, new Map());
  };
}

/** Tries every way `...` can absorb fields; true when one binding satisfies every condition. */
function bind(specs: FieldSpec[], si: number, fields: string[], fi: number, bound: Map<string, string>): boolean {
  if (si === specs.length) {
    if (fi !== fields.length) return false;
    const resolve = (name: string): Resolved => (bound.has(name) ? { found: true, value: bound.get(name) } : NONE);
    return specs.every((s) => !s.condition || s.condition(resolve));
  }
  const spec = specs[si]!;
  if (spec.name === undefined) {
    for (let skip = fields.length - fi; skip >= 0; skip--) if (bind(specs, si + 1, fields, fi + skip, bound)) return true;
    return false;
  }
  if (fi >= fields.length) return false;
  bound.set(spec.name, fields[fi]!);
  const ok = bind(specs, si + 1, fields, fi + 1, bound);
  bound.delete(spec.name);
  return ok;
}

/** Splits at commas outside quotes and %regex%. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') {
        cur += c + (text[++i] ?? '');
        continue;
      }
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === '%') {
      quote = c;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quote) throw new FilterPatternError('Unterminated quoted string in filter pattern.');
  parts.push(cur);
  return parts;
}

/** A log line's fields: space-separated, a "quoted" or [bracketed] run being one field. */
export function splitMessage(message: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = message.length;
  while (i < n) {
    while (i < n && /\s/.test(message[i]!)) i++;
    if (i >= n) break;
    const open = message[i];
    const close = open === '"' ? '"' : open === '[' ? ']' : undefined;
    if (close) {
      const end = message.indexOf(close, i + 1);
      if (end >= 0) {
        fields.push(message.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < n && !/\s/.test(message[j]!)) j++;
    fields.push(message.slice(i, j));
    i = j;
  }
  return fields;
}
