/**
 * @module protocol/validation/validate — checks a parsed JSON 1.1 request body against a generated
 * service model and words the violations like AWS (Coral) does.
 *
 *   body ──► type pass (throws InputSerializationError on the first wrong JSON type, as Coral fails
 *            while deserialising, before any constraint runs)
 *        └─► constraint pass (required, length, range, pattern, enum), all violations collected
 *
 * Both passes are one walk: a type error aborts the walk and the violations gathered so far are
 * discarded, which is what the real service answers (SerializationException wins).
 *
 * Wording, observed in AWS ValidationException messages (SageMaker wording itself is unconfirmed,
 * shared/docs/sagemaker-contract.md §1.3): `Value 'x' at 'path' failed to satisfy constraint: Member
 * must ...`, joined by "; " after "N validation error(s) detected: ". Paths are lower-camel member
 * names joined by '.', list items `list.1.member` (1-based), map values `map.<key>`; a bad map key is
 * reported at the map's own path as `Map keys must satisfy constraint: [...]`.
 */
import type { ServiceModel, ShapeDef } from './model-types.js';

/** A JSON type mismatch; the caller maps it to SerializationException. */
export class InputSerializationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputSerializationError';
  }
}

export interface ValidateOptions {
  /**
   * Prefix `^` to unanchored patterns in messages. SageMaker's own messages show the
   * `^...` form of its older models (newer models dropped the anchors); Logs never had them.
   */
  readonly caretInPatternMessages?: boolean;
  /**
   * A string value that breaks its member's pattern but that the service accepts anyway (a
   * service extension the operator turned on, e.g. Slipway's allowed `file://` roots where the
   * model wants `s3://`). Called only for pattern mismatches; `path` is the AWS member path.
   */
  readonly acceptPatternMismatch?: (value: string, path: string, pattern: string) => boolean;
}

/** What a service's `validate*Input` returns; at most one of the two is non-empty. */
export interface ValidationResult {
  readonly violations: string[];
  /** Set when the body has a wrong JSON type somewhere; answer SerializationException with it. */
  readonly serializationError?: string;
  /**
   * The input with every member the model does not have removed (set when the type pass
   * succeeded). Handlers get this, so unknown members are ignored, never stored or echoed.
   */
  readonly value?: unknown;
  /**
   * The error code to answer this result with, when the service has its own (CloudWatch:
   * MissingParameter / InvalidParameterValue); otherwise the protocol surface decides.
   */
  readonly errorCode?: string;
  /** The whole message, when the service words violations its own way (ECR); default formatValidationMessage. */
  readonly message?: string;
}

type Json = unknown;

/** Compiled patterns per model pattern text; `null` = cannot be expressed in JS, check skipped. */
const patternCache = new Map<string, RegExp | null>();

/** Java POSIX classes (`\p{Alnum}`) that JS lacks, as class contents so they work inside `[...]` too. */
const JAVA_POSIX: Readonly<Record<string, string>> = {
  Alnum: 'a-zA-Z0-9',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Upper: 'A-Z',
  Lower: 'a-z',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  ASCII: '\\x00-\\x7F',
};

/**
 * Compiles a Java-flavoured model pattern so it matches the WHOLE value. Tries Unicode mode first
 * (`\p{L}` needs it), then legacy mode for patterns with escapes that Unicode mode rejects
 * (`\_`, `[\w-_]`), unless the pattern uses `\p{...}`, which legacy mode would read as literal text.
 */
export function compilePattern(pattern: string): RegExp | null {
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  let source = pattern;
  let inClass = false;
  source = source.replace(/\\p\{(\w+)\}|\\.|\[|\]/g, (tok, name: string | undefined) => {
    if (tok === '[') inClass = true;
    else if (tok === ']') inClass = false;
    // Java's input anchors (the runtime model's `\A\S[\p{Print}]*\z`); JS reads them as letters.
    if (!inClass && tok === '\\A') return '^';
    if (!inClass && (tok === '\\z' || tok === '\\Z')) return '$';
    if (name === undefined || JAVA_POSIX[name] === undefined) return tok;
    return inClass ? JAVA_POSIX[name] : `[${JAVA_POSIX[name]}]`;
  });
  const wrapped = `^(?:${source})$`;
  let re: RegExp | null = null;
  try {
    re = new RegExp(wrapped, 'u');
  } catch {
    if (!/\\[pP]\{/.test(source)) {
      try {
        re = new RegExp(wrapped);
      } catch {
        re = null;
      }
    }
  }
  patternCache.set(pattern, re);
  return re;
}

/** `TrainingJobName` → `trainingJobName`, as AWS writes member paths. */
function lowerCamel(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}

/** Java-`toString`-like rendering of a value inside `Value '...'`. */
function render(value: Json): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, Json>)
      .map(([k, v]) => `${k}=${render(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function describeJsonType(value: Json): string {
  if (typeof value === 'string') return 'java.lang.String';
  if (typeof value === 'number') return 'com.amazon.coral.value.json.numbers.TruncatingBigNumber';
  if (typeof value === 'boolean') return 'java.lang.Boolean';
  return 'java.lang.Object';
}

const JAVA_TARGET: Readonly<Record<string, string>> = {
  string: 'String',
  integer: 'Integer',
  long: 'Long',
  float: 'Float',
  double: 'Double',
  boolean: 'Boolean',
  timestamp: 'Date',
  blob: 'ByteBuffer',
  structure: 'Structure',
  list: 'List',
  map: 'Map',
};

/**
 * Mirrors Coral's deserialiser messages (unconfirmed for SageMaker; clients read only the code):
 * objects/arrays where not expected get the "Start of ..." wording, scalars the "can not be
 * converted" wording.
 */
function typeError(value: Json, shape: ShapeDef): never {
  if (Array.isArray(value)) throw new InputSerializationError('Start of list found where not expected');
  if (value !== null && typeof value === 'object') {
    throw new InputSerializationError('Start of structure or map found where not expected.');
  }
  throw new InputSerializationError(
    `class ${describeJsonType(value)} can not be converted to an ${JAVA_TARGET[shape.type] ?? shape.type}`,
  );
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** A JSON object (or CBOR map); CBOR's dates and byte strings are values, not structures. */
function isPlainObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

class Walker {
  readonly violations: string[] = [];

  constructor(
    private readonly model: ServiceModel,
    private readonly opts: ValidateOptions,
  ) {}

  private shape(name: string): ShapeDef {
    const s = this.model.shapes[name];
    // The generator keeps every reachable shape, so a miss is a generator bug, not bad input.
    if (!s) throw new Error(`shape ${name} missing from generated model`);
    return s;
  }

  private violate(value: Json, path: string, constraint: string): void {
    const shown = value === null || value === undefined ? 'null' : `'${render(value)}'`;
    this.violations.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  private patternText(p: string): string {
    return this.opts.caretInPatternMessages && !p.startsWith('^') ? `^${p}` : p;
  }

  /** Constraint texts that `value` (already type-checked) breaks, without the Value/at prefix. */
  private constraintFailures(value: Json, shape: ShapeDef, path: string): string[] {
    const out: string[] = [];
    let size: number | undefined;
    let isNumber = false;
    switch (shape.type) {
      case 'string':
        size = [...(value as string)].length;
        break;
      case 'blob':
        size = value instanceof Uint8Array ? value.length : Buffer.byteLength(value as string, 'base64');
        break;
      case 'list':
        size = (value as Json[]).length;
        break;
      case 'map':
        size = Object.keys(value as object).length;
        break;
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
        isNumber = true;
        break;
      default:
        break;
    }
    if (isNumber) {
      const n = value as number;
      if (shape.min !== undefined && n < shape.min) {
        out.push(`Member must have value greater than or equal to ${shape.min}`);
      }
      if (shape.max !== undefined && n > shape.max) {
        out.push(`Member must have value less than or equal to ${shape.max}`);
      }
    } else if (size !== undefined) {
      if (shape.max !== undefined && size > shape.max) {
        out.push(`Member must have length less than or equal to ${shape.max}`);
      }
      if (shape.min !== undefined && size < shape.min) {
        out.push(`Member must have length greater than or equal to ${shape.min}`);
      }
    }
    if (shape.type === 'string') {
      const s = value as string;
      if (shape.pattern !== undefined) {
        const re = compilePattern(shape.pattern);
        if (re && !re.test(s) && !this.opts.acceptPatternMismatch?.(s, path, shape.pattern)) {
          out.push(`Member must satisfy regular expression pattern: ${this.patternText(shape.pattern)}`);
        }
      }
      if (shape.enum !== undefined && !shape.enum.includes(s)) {
        out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      }
    }
    return out;
  }

  /**
   * Type-checks `value` against `shapeName`, records its violations and descends. Returns the
   * value with the members the model does not have left out (a copy for structures, lists, maps).
   */
  visit(value: Json, shapeName: string, path: string): Json {
    const shape = this.shape(shapeName);
    this.checkType(value, shape);
    for (const c of this.constraintFailures(value, shape, path)) this.violate(value, path, c);
    switch (shape.type) {
      case 'structure':
        return this.visitStructure(value as Record<string, Json>, shape, path);
      case 'list':
        return (value as Json[]).map((item, i) => {
          const itemPath = `${path}.${i + 1}.member`;
          if (item !== null) return this.visit(item, shape.member!, itemPath);
          this.violate(null, itemPath, 'Member must not be null');
          return item;
        });
      case 'map': {
        const out: Record<string, Json> = {};
        for (const [k, v] of Object.entries(value as Record<string, Json>)) {
          const keyShape = this.shape(shape.key!);
          for (const c of this.constraintFailures(k, keyShape, path)) {
            this.violate(k, path, `Map keys must satisfy constraint: [${c}]`);
          }
          const valuePath = `${path}.${k}`;
          if (v === null) this.violate(null, valuePath, 'Member must not be null');
          // defineProperty: a `__proto__` key stays an ordinary entry of the copy.
          Object.defineProperty(out, k, { value: v === null ? v : this.visit(v, shape.value!, valuePath), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default:
        return value;
    }
  }

  /**
   * Members are read by wire key (locationName if any); unknown keys are ignored because newer SDKs
   * may send members our model copy predates, and left out of the returned copy so that no handler
   * stores or echoes them. JSON null counts as absent, as in Coral.
   */
  visitStructure(obj: Record<string, Json>, shape: ShapeDef, path: string): Record<string, Json> {
    const members = shape.members ?? {};
    const required = new Set(shape.required ?? []);
    const out: Record<string, Json> = {};
    for (const [name, target] of Object.entries(members)) {
      const wireKey = shape.locationNames?.[name] ?? name;
      const v = Object.prototype.hasOwnProperty.call(obj, wireKey) ? obj[wireKey] : undefined;
      const memberPath = path === '' ? lowerCamel(name) : `${path}.${lowerCamel(name)}`;
      if (v === undefined || v === null) {
        if (required.has(name)) this.violate(null, memberPath, 'Member must not be null');
        continue;
      }
      out[wireKey] = this.visit(v, target, memberPath);
    }
    return out;
  }

  private checkType(value: Json, shape: ShapeDef): void {
    switch (shape.type) {
      case 'structure':
      case 'map':
        if (!isPlainObject(value)) typeError(value, shape);
        return;
      case 'list':
        if (!Array.isArray(value)) typeError(value, shape);
        return;
      case 'string':
        if (typeof value !== 'string') typeError(value, shape);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') typeError(value, shape);
        return;
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
        // Non-integral numbers for integer members are accepted: Coral truncates them (TruncatingBigNumber).
        if (typeof value !== 'number' || !Number.isFinite(value)) typeError(value, shape);
        return;
      case 'timestamp':
        // JSON 1.1 sends epoch seconds; some clients send ISO-8601 or numeric strings; CBOR a tag-1 Date.
        if (typeof value === 'number' && Number.isFinite(value)) return;
        if (value instanceof Date && !Number.isNaN(value.getTime())) return;
        if (typeof value === 'string' && value.trim() !== '') {
          if (Number.isFinite(Number(value)) || !Number.isNaN(Date.parse(value))) return;
        }
        typeError(value, shape);
        return;
      case 'blob':
        // JSON carries base64 text, CBOR a byte string.
        if (value instanceof Uint8Array) return;
        if (typeof value !== 'string' || !BASE64.test(value.replace(/\s+/g, ''))) typeError(value, shape);
        return;
      default:
        return;
    }
  }
}

/**
 * Validates `input` (the parsed JSON body) for `operation` and returns AWS-worded violations, in
 * member-name order, depth first; `[]` when valid or when the operation has no input shape.
 * Throws `InputSerializationError` when a value has the wrong JSON type (→ SerializationException)
 * and a plain `Error` for an operation the model doesn't have (check the name first).
 *
 * @example
 * validateInput(MODEL, 'CreateTrainingJob', { TrainingJobName: 'bad_name!', ... })
 * // ["Value 'bad_name!' at 'trainingJobName' failed to satisfy constraint: Member must satisfy ..."]
 */
export function validateInput(
  model: ServiceModel,
  operation: string,
  input: unknown,
  opts: ValidateOptions = {},
): string[] {
  return walk(model, operation, input, opts).violations;
}

/** The violations and the input pruned to the model's members; throws as validateInput does. */
function walk(model: ServiceModel, operation: string, input: unknown, opts: ValidateOptions): { violations: string[]; value: unknown } {
  if (!Object.prototype.hasOwnProperty.call(model.operations, operation)) {
    throw new Error(`operation ${operation} is not in the ${model.targetPrefix} model`);
  }
  const inputShape = model.operations[operation];
  const body = input === undefined || input === null ? {} : input;
  if (!inputShape) {
    if (!isPlainObject(body)) typeError(body, { type: 'structure' });
    return { violations: [], value: {} };
  }
  const walker = new Walker(model, opts);
  const value = walker.visit(body, inputShape, '');
  return { violations: walker.violations, value };
}

/**
 * `validateInput` with the type error returned instead of thrown, and the input pruned to the
 * model's members (`value`), for the service wrappers.
 */
export function checkInput(
  model: ServiceModel,
  operation: string,
  input: unknown,
  opts: ValidateOptions = {},
): ValidationResult {
  try {
    return walk(model, operation, input, opts);
  } catch (err) {
    if (err instanceof InputSerializationError) return { violations: [], serializationError: err.message };
    throw err;
  }
}

/** `1 validation error detected: A` / `2 validation errors detected: A; B` ('' for none). */
export function formatValidationMessage(violations: readonly string[]): string {
  if (violations.length === 0) return '';
  const noun = violations.length === 1 ? 'error' : 'errors';
  return `${violations.length} validation ${noun} detected: ${violations.join('; ')}`;
}
