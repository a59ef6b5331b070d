/**
 * @module test/integration/fuzz/mutations — one-fault variants of a valid seed document, derived
 * from the model shapes: drop a required member, null it, add an unknown or optional member, give
 * a member the wrong JSON type, break a length, range, pattern or enum constraint, or a list size.
 *
 *   seed ──walk(shape)──► every member present, every absent member near the top (and, once
 *        │                 added with a minimal valid value, the members inside it)
 *        └─► Mutation { kind, where, doc, expect: 'reject' (must be a typed 4xx) | 'any' (may succeed) }
 *
 * The walk is deterministic; the caller samples with a seeded Prng (./prng.ts).
 */
import { shapeOf, type AwsModel, type Shape } from './aws-model.js';
import { Prng } from './prng.js';
import { cloneDoc, isObject, minimalValue, stringFits, type Doc } from './seed-values.js';

export type MutationKind =
  | 'drop-required'
  | 'drop-optional'
  | 'null-required'
  | 'unknown-member'
  | 'add-optional'
  | 'wrong-type'
  | 'too-long'
  | 'too-short'
  | 'below-min'
  | 'above-max'
  | 'number-overflow'
  | 'pattern'
  | 'enum'
  | 'list-too-long'
  | 'list-too-short'
  | 'null-element'
  | 'map-key';

export interface Mutation {
  readonly kind: MutationKind;
  /** Member path for reports: `AlgorithmSpecification.TrainingImage`, `InputDataConfig[0].ChannelName`. */
  readonly where: string;
  readonly detail: string;
  readonly doc: Doc;
  readonly expect: 'reject' | 'any';
  /**
   * The query protocol cannot carry this fault (every scalar is text there, there is no null and no
   * empty list), so on that wire the case is still valid input.
   */
  readonly lostInQuery?: true;
}

/**
 * Values encoders write verbatim (JSON text `1e400` parses to Infinity; CBOR and query get the
 * nearest thing). A string with this prefix inside a document stands for the raw text after it.
 */
export const RAW = '\u0000raw:';

type Path = (string | number)[];

function render(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function setAt(doc: Doc, path: Path, value: Doc | undefined): Doc {
  const out = cloneDoc(doc);
  let node: Doc = out;
  for (let i = 0; i < path.length - 1; i++) node = (node as Record<string, Doc>)[path[i] as string] as Doc;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete (node as Record<string, Doc>)[last as string];
  } else (node as Record<string | number, Doc>)[last] = value;
  return out;
}

/** Values of the wrong JSON type for each model type (all clearly wrong: no numeric strings). */
function wrongTypes(shape: Shape): Doc[] {
  switch (shape.type) {
    case 'string':
      return [123, true, { s: 'x' }, ['x']];
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return ['abc', true, { n: 1 }, [1]];
    case 'boolean':
      return ['abc', 1, { b: true }];
    case 'timestamp':
      return ['not-a-date', true, { t: 1 }, [1]];
    case 'blob':
      return [123, '***not base64***', { b: 'x' }];
    case 'structure':
    case 'map':
      return [['x'], 'abc', 1];
    case 'list':
      return [{ l: 'x' }, 'abc', 1];
    default:
      return [];
  }
}

/** Junk that breaks most patterns while staying inside the length bounds. */
const PATTERN_BREAKERS = ['!@#$%^&*()', ' space ', '\u0000', 'é', '\t', '..', '-', 'a b', '\\', '"\'<>'];

function patternBreaker(shape: Shape): string | undefined {
  if (shape.pattern === undefined || shape.enum) return undefined;
  for (const junk of PATTERN_BREAKERS) {
    const padded = shape.min !== undefined && [...junk].length < shape.min ? junk.padEnd(shape.min, '!') : junk;
    const lengthOk = (shape.max === undefined || [...padded].length <= shape.max) && (shape.min === undefined || [...padded].length >= shape.min);
    if (lengthOk && !stringFits({ ...shape, min: undefined, max: undefined }, padded)) return padded;
  }
  return undefined;
}

/** Bodies stay small: no string or list over this many units is generated. */
const MAX_GENERATED = 70_000;

class Walker {
  readonly out: Mutation[] = [];

  constructor(
    private readonly model: AwsModel,
    private readonly root: Doc,
    /** Members that are not in the body (REST uri/header/query members are fuzzed by the surface). */
    private readonly bodyOnly: boolean,
  ) {}

  private add(kind: MutationKind, path: Path, detail: string, value: Doc | undefined, expect: 'reject' | 'any' = 'reject', lostInQuery = false): void {
    this.out.push({ kind, where: render(path), detail, doc: setAt(this.root, path, value), expect, ...(lostInQuery ? { lostInQuery: true as const } : {}) });
  }

  /** Constraint breakers for a scalar or collection value at `path` (present or about to be added). */
  private constraints(shape: Shape, path: Path, sample: Doc): void {
    switch (shape.type) {
      case 'string': {
        if (shape.max !== undefined && shape.max < MAX_GENERATED) this.add('too-long', path, `${shape.max + 1} characters (max ${shape.max})`, 'a'.repeat(shape.max + 1));
        if (shape.min !== undefined && shape.min > 0) this.add('too-short', path, `${shape.min - 1} characters (min ${shape.min})`, 'a'.repeat(shape.min - 1));
        if (shape.enum) this.add('enum', path, 'a value outside the enum', 'NotAnEnumValue');
        const junk = patternBreaker(shape);
        if (junk !== undefined) this.add('pattern', path, `${JSON.stringify(junk)} against ${shape.pattern}`, junk);
        break;
      }
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
        if (shape.min !== undefined) this.add('below-min', path, `${shape.min - 1} (min ${shape.min})`, shape.min - 1);
        if (shape.max !== undefined) this.add('above-max', path, `${shape.max + 1} (max ${shape.max})`, shape.max + 1);
        this.add('number-overflow', path, '1e400 (not a finite number)', `${RAW}1e400`);
        break;
      case 'list': {
        const item = Array.isArray(sample) && sample.length > 0 ? sample[0]! : minimalValue(this.model, shape.member!.shape);
        if (shape.max !== undefined && shape.max < 2_000) this.add('list-too-long', path, `${shape.max + 1} items (max ${shape.max})`, Array.from({ length: shape.max + 1 }, () => cloneDoc(item)));
        if (shape.min !== undefined && shape.min > 0) this.add('list-too-short', path, `${shape.min - 1} items (min ${shape.min})`, Array.from({ length: shape.min - 1 }, () => cloneDoc(item)), 'reject', shape.min === 1);
        break;
      }
      case 'map': {
        const keyShape = shapeOf(this.model, shape.key!.shape);
        const value = isObject(sample) && Object.keys(sample).length > 0 ? Object.values(sample)[0]! : minimalValue(this.model, shape.value!.shape);
        const junkKey = patternBreaker(keyShape) ?? (keyShape.max !== undefined && keyShape.max < MAX_GENERATED ? 'k'.repeat(keyShape.max + 1) : undefined);
        if (junkKey !== undefined) this.add('map-key', path, `key ${JSON.stringify(junkKey.slice(0, 40))}`, { [junkKey]: cloneDoc(value) });
        if (shape.max !== undefined && shape.max < 2_000) {
          const big: Record<string, Doc> = {};
          for (let i = 0; i <= shape.max; i++) big[`k${i}`] = cloneDoc(value);
          this.add('list-too-long', path, `${shape.max + 1} entries (max ${shape.max})`, big);
        }
        break;
      }
      default:
        break;
    }
  }

  /** Every wrong JSON type for the member (the caller's sample picks among them). */
  private wrongType(shape: Shape, path: Path): void {
    for (const v of wrongTypes(shape)) {
      this.add('wrong-type', path, `${JSON.stringify(v)} for a ${shape.type}`, v, 'reject', shape.type === 'string' && (typeof v === 'number' || typeof v === 'boolean'));
    }
  }

  /** Mutations of the value at `path` (already in the document) and of everything inside it. */
  visit(shapeName: string, path: Path, value: Doc, depth: number): void {
    const shape = shapeOf(this.model, shapeName);
    if (path.length > 0) {
      this.wrongType(shape, path);
      this.constraints(shape, path, value);
    }
    if (depth > 8) return;
    if (shape.type === 'structure' && isObject(value)) this.visitStructure(shape, path, value, depth);
    else if (shape.type === 'list' && Array.isArray(value) && value.length > 0) {
      this.add('null-element', [...path, 0], 'a null list item', null, 'reject', true);
      this.visit(shape.member!.shape, [...path, 0], value[0]!, depth + 1);
    } else if (shape.type === 'map' && isObject(value)) {
      const [k, v] = Object.entries(value)[0] ?? [];
      if (k !== undefined) {
        this.add('null-element', [...path, k], 'a null map value', null, 'reject', true);
        this.visit(shape.value!.shape, [...path, k], v!, depth + 1);
      }
    }
  }

  private visitStructure(shape: Shape, path: Path, value: Record<string, Doc>, depth: number): void {
    const required = new Set(shape.required ?? []);
    const members = shape.members ?? {};
    for (const [name, ref] of Object.entries(members)) {
      if (this.bodyOnly && ref.location !== undefined) continue;
      const p = [...path, name];
      const present = Object.hasOwn(value, name);
      if (present) {
        if (required.has(name)) {
          // A nested structure left empty has no query form at all: the whole item disappears.
          const emptied = path.length > 0 && Object.keys(value).length === 1;
          this.add('drop-required', p, 'required member left out', undefined, 'reject', emptied);
          this.add('null-required', p, 'required member set to null', null, 'reject', emptied);
        } else this.add('drop-optional', p, 'optional member left out', undefined, 'any');
        this.visit(ref.shape, p, value[name]!, depth + 1);
      } else if (depth < 3) {
        // Absent members (near the top): the wrong type, a broken constraint, or a valid minimal
        // value, and the one-fault mutations inside that value (valid once added).
        const target = shapeOf(this.model, ref.shape);
        this.wrongType(target, p);
        if (target.type !== 'structure') this.constraints(target, p, null);
        let added: Doc;
        try {
          added = minimalValue(this.model, ref.shape, name);
        } catch {
          continue; // no generable minimal value (an unusual pattern): the cases above still cover it
        }
        this.add('add-optional', p, 'optional member with its minimal valid value', added, 'any');
        if (target.type === 'structure' || target.type === 'list' || target.type === 'map') {
          const inner = new Walker(this.model, setAt(this.root, p, added), this.bodyOnly);
          inner.visit(ref.shape, p, added, depth + 1);
          this.out.push(...inner.out.filter((m) => m.kind !== 'wrong-type' || m.where !== render(p)));
        }
      }
    }
    if (!shape.union) this.add('unknown-member', [...path, 'FuzzUnknownMember'], 'a member the model does not have', 'fuzz', 'any');
  }
}

/**
 * Every one-fault mutation of `seed` (the input of `inputShapeName`), in model order.
 * `bodyOnly` skips members that REST protocols carry in the URI, headers or query string.
 */
export function mutationsOf(model: AwsModel, inputShapeName: string, seed: Doc, opts: { bodyOnly?: boolean } = {}): Mutation[] {
  const w = new Walker(model, seed, opts.bodyOnly ?? false);
  w.visit(inputShapeName, [], seed, 0);
  return w.out;
}

/**
 * At most `cap` mutations: every top-level drop-required first (the cheapest, most telling
 * cases), then a seeded sample of the rest, so every kind has a chance on every run.
 */
export function sampleMutations(all: readonly Mutation[], cap: number, prng: Prng): Mutation[] {
  const first = all.filter((m) => m.kind === 'drop-required' && !m.where.includes('.') && !m.where.includes('['));
  const rest = prng.shuffle(all.filter((m) => !first.includes(m)));
  return [...first, ...rest].slice(0, Math.max(cap, first.length));
}
