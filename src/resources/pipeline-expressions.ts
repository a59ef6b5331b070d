/**
 * @module resources/pipeline-expressions — evaluates the expressions of a pipeline definition as
 * the SageMaker Python SDK emits them: `{"Get": "Steps.X.…"}`, `{"Get": "Parameters.P"}`,
 * `{"Get": "Execution.PipelineExecutionId"}`, `{"Std:Join": {On, Values}}`, `{"Std:JsonGet":
 * {PropertyFile | S3Uri, Path}}`, and the conditions of a Condition step (Equals, GreaterThan(OrEqualTo),
 * LessThan(OrEqualTo), In, Not, Or). Pure: step properties and property files come in through
 * the context. https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
 */

/** A reference that cannot be resolved, or an expression of the wrong shape; the message names it. */
export class ExpressionError extends Error {}

export type ParamValue = string | number | boolean;

export interface ExpressionContext {
  parameters: Record<string, ParamValue>;
  /** Execution.* variables (PipelineExecutionId, PipelineExecutionArn, PipelineName, PipelineArn, StartDateTime, CurrentDateTime). */
  execution: Record<string, string>;
  /** The Describe document of a step that ran (plus Outcome for a condition), or undefined. */
  stepProperties(step: string): Record<string, unknown> | undefined;
  /** The parsed JSON of a processing step's property file, or undefined when it was not read. */
  propertyFile(step: string, file: string): unknown;
  /** The parsed JSON at an S3 URI, when JsonGet names one (read before evaluation). */
  s3Json?(uri: string): unknown;
}

export const EXECUTION_VARIABLES = ['PipelineExecutionId', 'PipelineExecutionArn', 'PipelineName', 'PipelineArn', 'StartDateTime', 'CurrentDateTime'] as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One segment of a property path: a member name, a list index, or a list element by its name (`Outputs['evaluation']`). */
type Segment = { member: string } | { index: number } | { key: string };

/** Splits `A.B['k'][0].C` into segments; throws ExpressionError for what is not such a path. */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.?([A-Za-z0-9_:\-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let i = 0;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m || m[0].length === 0) throw new ExpressionError(`Cannot parse the path ${path} at character ${i + 1}`);
    if (m[1] !== undefined) out.push({ member: m[1] });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
    else out.push({ key: (m[3] ?? m[4])! });
    i = re.lastIndex;
  }
  return out;
}

/** Members by which SageMaker's lists are indexed with a string (Outputs['x'], FinalMetricDataList['m'], …). */
const LIST_KEYS = ['OutputName', 'InputName', 'ChannelName', 'MetricName', 'Name', 'PropertyFileName'];

function walk(value: unknown, segments: Segment[], what: string): unknown {
  let cur = value;
  for (const s of segments) {
    if ('member' in s) cur = isObj(cur) ? cur[s.member] : undefined;
    else if ('index' in s) cur = Array.isArray(cur) ? cur[s.index] : undefined;
    else if (Array.isArray(cur)) cur = cur.find((e) => isObj(e) && LIST_KEYS.some((k) => e[k] === s.key));
    else cur = isObj(cur) ? cur[s.key] : undefined;
    if (cur === undefined) throw new ExpressionError(`${what} has no value`);
  }
  return cur;
}

/** The step a `Steps.<name>…` path names, and the rest of the path. */
export function splitStepPath(path: string): { step: string; rest: string } | undefined {
  const m = /^Steps\.([A-Za-z0-9_\-]+)(.*)$/.exec(path);
  return m ? { step: m[1]!, rest: m[2]! } : undefined;
}

function resolveGet(path: unknown, ctx: ExpressionContext): unknown {
  if (typeof path !== 'string') throw new ExpressionError('Get takes a string path');
  if (path.startsWith('Parameters.')) {
    const name = path.slice('Parameters.'.length);
    if (!(name in ctx.parameters)) throw new ExpressionError(`Parameter ${name} is not defined`);
    return ctx.parameters[name];
  }
  if (path.startsWith('Execution.')) {
    const v = ctx.execution[path.slice('Execution.'.length)];
    if (v === undefined) throw new ExpressionError(`Unknown execution variable ${path}`);
    return v;
  }
  const sp = splitStepPath(path);
  if (!sp) throw new ExpressionError(`Get ${path}: a reference starts with Steps., Parameters. or Execution.`);
  const props = ctx.stepProperties(sp.step);
  if (!props) throw new ExpressionError(`Step ${sp.step} has not run, so ${path} has no value`);
  return walk(props, parsePath(sp.rest), path);
}

function jsonGet(arg: unknown, ctx: ExpressionContext): unknown {
  if (!isObj(arg) || typeof arg.Path !== 'string') throw new ExpressionError('Std:JsonGet takes {PropertyFile | S3Uri, Path}');
  let doc: unknown;
  if (arg.PropertyFile !== undefined) {
    const ref = isObj(arg.PropertyFile) ? arg.PropertyFile.Get : undefined;
    const m = typeof ref === 'string' ? /^Steps\.([A-Za-z0-9_\-]+)\.PropertyFiles\.([A-Za-z0-9_\-]+)$/.exec(ref) : null;
    if (!m) throw new ExpressionError('Std:JsonGet PropertyFile must be {"Get": "Steps.<step>.PropertyFiles.<name>"}');
    doc = ctx.propertyFile(m[1]!, m[2]!);
    if (doc === undefined) throw new ExpressionError(`Property file ${m[2]} of step ${m[1]} was not read`);
  } else if (arg.S3Uri !== undefined) {
    const uri = evaluate(arg.S3Uri, ctx);
    if (typeof uri !== 'string' || !ctx.s3Json) throw new ExpressionError('Std:JsonGet S3Uri must evaluate to an s3:// URI');
    doc = ctx.s3Json(uri);
    if (doc === undefined) throw new ExpressionError(`Std:JsonGet: ${uri} was not read`);
  } else {
    throw new ExpressionError('Std:JsonGet takes PropertyFile or S3Uri');
  }
  return walk(doc, parsePath(arg.Path.startsWith('[') ? arg.Path : `.${arg.Path}`), `JsonGet path ${arg.Path}`);
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Evaluates every expression inside `value` (objects and arrays are walked), returning plain JSON. */
export function evaluate(value: unknown, ctx: ExpressionContext): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, ctx));
  if (!isObj(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const k = keys[0]!;
    if (k === 'Get') return resolveGet(value.Get, ctx);
    if (k === 'Std:JsonGet') return jsonGet(value[k], ctx);
    if (k === 'Std:Join') {
      const a = value[k];
      if (!isObj(a) || !Array.isArray(a.Values)) throw new ExpressionError('Std:Join takes {On, Values: [...]}');
      return a.Values.map((v) => asText(evaluate(v, ctx))).join(typeof a.On === 'string' ? a.On : '');
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = evaluate(value[k], ctx);
  return out;
}

/** Every reference inside `value`: the steps it reads (a data dependency) and the parameters it names. */
export function references(value: unknown, acc: { steps: Set<string>; parameters: Set<string>; execution: Set<string>; other: Set<string> } = { steps: new Set(), parameters: new Set(), execution: new Set(), other: new Set() }) {
  if (Array.isArray(value)) for (const v of value) references(v, acc);
  else if (isObj(value)) {
    if (typeof value.Get === 'string' && Object.keys(value).length === 1) {
      const p = value.Get;
      const sp = splitStepPath(p);
      if (sp) acc.steps.add(sp.step);
      else if (p.startsWith('Parameters.')) acc.parameters.add(p.slice('Parameters.'.length));
      else if (p.startsWith('Execution.')) acc.execution.add(p.slice('Execution.'.length));
      else acc.other.add(p);
    } else for (const v of Object.values(value)) references(v, acc);
  }
  return acc;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = num(a);
    const y = num(b);
    if (x !== undefined && y !== undefined) return x === y;
  }
  return asText(a) === asText(b);
}

function compare(type: string, l: unknown, r: unknown): boolean {
  const x = num(l);
  const y = num(r);
  if (x === undefined || y === undefined) throw new ExpressionError(`${type} compares numbers; got ${asText(l)} and ${asText(r)}`);
  switch (type) {
    case 'GreaterThan':
      return x > y;
    case 'GreaterThanOrEqualTo':
      return x >= y;
    case 'LessThan':
      return x < y;
    default:
      return x <= y;
  }
}

export const CONDITION_TYPES = ['Equals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo', 'In', 'Not', 'Or'] as const;

/** Checks a condition's shape (no evaluation); returns a problem or undefined. */
export function conditionProblem(c: unknown): string | undefined {
  if (!isObj(c) || typeof c.Type !== 'string') return 'a condition is an object with a Type';
  switch (c.Type) {
    case 'Not':
      return conditionProblem(c.Expression);
    case 'Or':
      if (!Array.isArray(c.Conditions) || c.Conditions.length === 0) return 'an Or condition takes a non-empty Conditions list';
      return c.Conditions.map(conditionProblem).find((p) => p);
    case 'In':
      return Array.isArray(c.Values) && 'QueryValue' in c ? undefined : 'an In condition takes QueryValue and a Values list';
    default:
      if (!(CONDITION_TYPES as readonly string[]).includes(c.Type)) return `unknown condition type ${c.Type} (one of ${CONDITION_TYPES.join(', ')})`;
      return 'LeftValue' in c && 'RightValue' in c ? undefined : `a ${c.Type} condition takes LeftValue and RightValue`;
  }
}

/** Evaluates one condition of a Condition step. */
export function evaluateCondition(c: unknown, ctx: ExpressionContext): boolean {
  const problem = conditionProblem(c);
  if (problem) throw new ExpressionError(problem);
  const cond = c as Record<string, unknown>;
  switch (cond.Type) {
    case 'Not':
      return !evaluateCondition(cond.Expression, ctx);
    case 'Or':
      return (cond.Conditions as unknown[]).some((x) => evaluateCondition(x, ctx));
    case 'In': {
      const q = evaluate(cond.QueryValue, ctx);
      return (cond.Values as unknown[]).some((v) => equal(q, evaluate(v, ctx)));
    }
    case 'Equals':
      return equal(evaluate(cond.LeftValue, ctx), evaluate(cond.RightValue, ctx));
    default:
      return compare(cond.Type as string, evaluate(cond.LeftValue, ctx), evaluate(cond.RightValue, ctx));
  }
}
