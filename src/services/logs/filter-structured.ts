/**
 * @module services/logs/filter-structured — JSON (`{ ... }`) and space-delimited (`[ ... ]`) filter
 * patterns, built on ./filter-expression.ts.
 *
 * JSON: the message must be a JSON object; `$.a.b[0].c` selects into it.
 * Space-delimited: the message splits at spaces into fields, a "quoted" or [bracketed] run counting
 * as one field (without its quotes or brackets); the pattern names the fields in order, `...`
 * standing for any number of them, and a field may carry conditions (`status = 4* || status = 5*`).
 * Without `...` the number of fields must match exactly.
 *
 * Matching a delimited pattern is a search over where each `...` ends. When every condition names
 * only its own field (the usual case) it is checked as the field is bound and dead ends are
 * remembered, so a message costs at most fields × pattern parts steps; otherwise conditions wait
 * for the whole binding and the search has a step budget. Either way a hostile pattern such as
 * `[..., ..., ..., ..., x]` cannot stall the server.
 */
import { FilterPatternError, parseCondition, type Condition, type RegexCount, type Resolved } from './filter-expression.js';

const NONE: Resolved = { found: false, value: undefined };
const SELECTOR = /^\$(\.[A-Za-z0-9_@:-]+|\[\d+\])*$/;

/** `{ expr }` → predicate over the message. */
export function compileJsonPattern(text: string): (message: string) => boolean {
  const inner = text.trim();
  if (!inner.endsWith('}')) throw new FilterPatternError("Invalid filter pattern: a JSON pattern must end with '}'.");
  const cond = parseCondition(inner.slice(1, -1), (w) => SELECTOR.test(w), { regexes: 0 });
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
/** Search steps per message when conditions name other fields (no memo possible). */
const STEP_BUDGET = 20_000;

/** `[a, b = 1, ..., c]` → predicate over the message. */
export function compileDelimitedPattern(text: string): (message: string) => boolean {
  const inner = text.trim();
  if (!inner.endsWith(']')) throw new FilterPatternError("Invalid filter pattern: a space-delimited pattern must end with ']'.");
  const count: RegexCount = { regexes: 0 };
  let selfOnly = true;
  const specs: FieldSpec[] = [];
  for (const part of splitTopLevel(inner.slice(1, -1))) {
    const p = part.trim();
    if (p === '...') {
      // Consecutive `...` match the same as one.
      if (specs.length === 0 || specs[specs.length - 1]!.name !== undefined) specs.push({});
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(p)?.[0];
    if (!name) throw new FilterPatternError(`Invalid filter pattern: '${p}' is not a field name.`);
    if (p.length === name.length) {
      specs.push({ name });
      continue;
    }
    const condition = parseCondition(
      p,
      (w) => {
        if (!FIELD_NAME.test(w)) return false;
        if (w !== name) selfOnly = false;
        return true;
      },
      count,
    );
    specs.push({ name, condition });
  }
  if (specs.length === 0) throw new FilterPatternError('Invalid filter pattern: a space-delimited pattern needs at least one field.');
  if (selfOnly) {
    return (message) => {
      const fields = splitMessage(message);
      return eagerMatch(specs, fields);
    };
  }
  return (message) => {
    const fields = splitMessage(message);
    return bindLate(specs, 0, fields, 0, new Map(), { steps: 0 });
  };
}

/** Dead ends of one message's search: named parts by (part, field), `...` parts by the lowest failed start. */
interface Memo {
  dead: Set<number>;
  /** For a `...` part: the smallest field index it is known to fail from (it fails from every later one too). */
  deadFrom: number[];
}

function eagerMatch(specs: FieldSpec[], fields: string[]): boolean {
  return bindEager(specs, 0, fields, 0, { dead: new Set(), deadFrom: specs.map(() => fields.length + 1) });
}

/**
 * Conditions name only their own field: each is checked as its field is bound, and every failed
 * state is remembered, so the search costs O(parts × fields) steps.
 */
function bindEager(specs: FieldSpec[], si: number, fields: string[], fi: number, memo: Memo): boolean {
  if (si === specs.length) return fi === fields.length;
  const spec = specs[si]!;
  if (spec.name === undefined) {
    // `...` from fi succeeds iff the rest matches from some fj >= fi; a later start reaches fewer.
    const limit = memo.deadFrom[si]!;
    for (let fj = fi; fj < limit; fj++) if (bindEager(specs, si + 1, fields, fj, memo)) return true;
    if (fi < limit) memo.deadFrom[si] = fi;
    return false;
  }
  const key = si * (fields.length + 1) + fi;
  if (fi >= fields.length || memo.dead.has(key)) return false;
  const value = fields[fi]!;
  const name = spec.name;
  const own = (n: string): Resolved => (n === name ? { found: true, value } : NONE);
  const ok = (!spec.condition || spec.condition(own)) && bindEager(specs, si + 1, fields, fi + 1, memo);
  if (!ok) memo.dead.add(key);
  return ok;
}

/** Tries every way `...` can absorb fields (within a step budget); true when one binding satisfies every condition. */
function bindLate(specs: FieldSpec[], si: number, fields: string[], fi: number, bound: Map<string, string>, budget: { steps: number }): boolean {
  if (++budget.steps > STEP_BUDGET) return false;
  if (si === specs.length) {
    if (fi !== fields.length) return false;
    const resolve = (name: string): Resolved => (bound.has(name) ? { found: true, value: bound.get(name) } : NONE);
    return specs.every((s) => !s.condition || s.condition(resolve));
  }
  const spec = specs[si]!;
  if (spec.name === undefined) {
    for (let skip = fields.length - fi; skip >= 0; skip--) if (bindLate(specs, si + 1, fields, fi + skip, bound, budget)) return true;
    return false;
  }
  if (fi >= fields.length) return false;
  bound.set(spec.name, fields[fi]!);
  const ok = bindLate(specs, si + 1, fields, fi + 1, bound, budget);
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
