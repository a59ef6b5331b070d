/**
 * @module resources/pipeline — SageMaker Pipelines: the pipeline and execution documents, and the
 * pipeline definition (the JSON `pipeline.definition()` of the SageMaker Python SDK emits) parsed
 * and checked into a DAG of steps. A definition that names an unknown step type, a missing step,
 * parameter or property file, or has a cycle, is refused whole (nothing is created).
 * https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html
 */
import { CONDITION_TYPES, EXECUTION_VARIABLES, conditionProblem, references, type ParamValue } from './pipeline-expressions.js';

export const PipelineExecutionStatus = { Executing: 'Executing', Stopping: 'Stopping', Stopped: 'Stopped', Failed: 'Failed', Succeeded: 'Succeeded' } as const;
export type PipelineExecutionStatus = (typeof PipelineExecutionStatus)[keyof typeof PipelineExecutionStatus];
export const EXECUTION_TERMINAL: readonly string[] = ['Stopped', 'Failed', 'Succeeded'];

/** Step types Slipway runs; their Arguments are the request of the operation named. */
export const STEP_OPERATIONS = {
  Training: 'CreateTrainingJob',
  Processing: 'CreateProcessingJob',
  Transform: 'CreateTransformJob',
  Model: 'CreateModel',
  RegisterModel: 'CreateModelPackage',
} as const;
export type JobStepType = keyof typeof STEP_OPERATIONS;
export const STEP_TYPES = [...Object.keys(STEP_OPERATIONS), 'Condition', 'Fail'] as const;
/** The member of each request that names the resource (set by the execution, not the definition). */
export const NAME_MEMBER: Record<JobStepType, string | undefined> = {
  Training: 'TrainingJobName',
  Processing: 'ProcessingJobName',
  Transform: 'TransformJobName',
  Model: 'ModelName',
  RegisterModel: undefined,
};

export interface PipelineDoc {
  PipelineArn: string;
  PipelineName: string;
  PipelineDisplayName: string;
  PipelineDescription?: string;
  PipelineDefinition: string;
  RoleArn: string;
  PipelineStatus: 'Active';
  CreationTime: number;
  LastModifiedTime: number;
  LastRunTime?: number;
  ParallelismConfiguration?: { MaxParallelExecutionSteps: number };
  PipelineVersionId: number;
  [k: string]: unknown;
}
export interface PipelineInternal {
  region: string;
  accountId: string;
  /** CreatePipeline's ClientRequestToken: the same request again answers the same ARN. */
  clientToken?: string;
}

export interface ExecutionDoc {
  PipelineArn: string;
  PipelineExecutionArn: string;
  PipelineExecutionDisplayName?: string;
  PipelineExecutionDescription?: string;
  PipelineExecutionStatus: PipelineExecutionStatus;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  ParallelismConfiguration?: { MaxParallelExecutionSteps: number };
  PipelineVersionId?: number;
  [k: string]: unknown;
}

export interface StepRun {
  status: 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
  startTime: number;
  endTime?: number;
  failureReason?: string;
  attempt: number;
  /** The job, model or package this step made (or reused, on a cache hit). */
  jobName?: string;
  jobArn?: string;
  /** The Describe document of what the step made, for `Steps.<name>.…` references. */
  properties?: Record<string, unknown>;
  propertyFiles?: Record<string, unknown>;
  outcome?: 'True' | 'False';
  errorMessage?: string;
  /** The evaluated Create request (with the job name), kept to re-create the job after a restart. */
  request?: Record<string, unknown>;
  cacheKey?: string;
  cacheHit?: { SourcePipelineExecutionArn: string };
}

export interface ExecutionInternal {
  region: string;
  accountId: string;
  pipelineName: string;
  definition: string;
  parameters: Record<string, ParamValue>;
  steps: Record<string, StepRun>;
  /** Steps in the order they started (ListPipelineExecutionSteps sorts by it). */
  order: string[];
  startTime: number;
  /** StartPipelineExecution's ClientRequestToken, and the last RetryPipelineExecution's (a repeated request is answered, not run again). */
  clientToken?: string;
  retryToken?: string;
  /** Attempts a step made before RetryPipelineExecution cleared it (its next attempt counts on). */
  retries?: Record<string, number>;
}

export interface StepDef {
  Name: string;
  Type: string;
  Arguments: Record<string, unknown>;
  DependsOn: string[];
  CacheConfig?: { Enabled?: boolean; ExpireAfter?: string };
  PropertyFiles: { PropertyFileName: string; OutputName: string; FilePath: string }[];
  DisplayName?: string;
  Description?: string;
  /** Condition step names this step runs under, with the branch it belongs to. */
  branch?: { condition: string; when: 'True' | 'False' };
  /** Every step this one waits for (DependsOn, data references, its condition). */
  after: string[];
}

export interface ParameterDef {
  Name: string;
  Type: 'String' | 'Integer' | 'Float' | 'Boolean';
  DefaultValue?: ParamValue;
}

export interface PipelineGraph {
  parameters: ParameterDef[];
  steps: Map<string, StepDef>;
}

/** A definition Slipway refuses; the message says which step or reference and why. */
export class DefinitionError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const STEP_NAME = /^[A-Za-z0-9\-_]{1,64}$/;
/** Bounds on what one definition may make the server walk (evaluation recurses; readiness is quadratic in steps). */
export const MAX_STEPS = 500;
export const MAX_DEPTH = 64;

/** The nesting depth of a parsed JSON value, walked without recursion. */
function depthOf(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > MAX_DEPTH) return max;
    for (const c of Array.isArray(v) ? v : Object.values(v)) stack.push([c, d + 1]);
  }
  return max;
}
const PARAM_TYPES = ['String', 'Integer', 'Float', 'Boolean'];

/** Parses and checks a pipeline definition; throws DefinitionError. */
export function parseDefinition(text: string): PipelineGraph {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DefinitionError(`PipelineDefinition is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObj(raw)) throw new DefinitionError('PipelineDefinition must be a JSON object');
  if (depthOf(raw) > MAX_DEPTH) throw new DefinitionError(`PipelineDefinition nests JSON more than ${MAX_DEPTH} levels deep`);
  const parameters = parseParameters(raw.Parameters);
  if (!Array.isArray(raw.Steps) || raw.Steps.length === 0) throw new DefinitionError('PipelineDefinition must have a non-empty Steps list');
  const steps = new Map<string, StepDef>();
  const add = (s: unknown, branch?: StepDef['branch']): string => {
    if (!isObj(s)) throw new DefinitionError('Each step must be a JSON object');
    const name = s.Name;
    if (typeof name !== 'string' || !STEP_NAME.test(name)) throw new DefinitionError(`Step name ${JSON.stringify(name)} must match ${STEP_NAME.source}`);
    if (steps.has(name)) throw new DefinitionError(`Step name ${name} is used more than once`);
    if (typeof s.Type !== 'string' || !(STEP_TYPES as readonly string[]).includes(s.Type)) {
      throw new DefinitionError(`Step ${name} has type ${JSON.stringify(s.Type)}, which Slipway does not run (supported: ${STEP_TYPES.join(', ')})`);
    }
    const args = s.Arguments ?? {};
    if (!isObj(args)) throw new DefinitionError(`Step ${name}: Arguments must be an object`);
    const dependsOn = s.DependsOn ?? [];
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) throw new DefinitionError(`Step ${name}: DependsOn must be a list of step names`);
    const propertyFiles = (s.PropertyFiles ?? []) as StepDef['PropertyFiles'];
    if (!Array.isArray(propertyFiles) || propertyFiles.some((p) => !isObj(p) || typeof p.PropertyFileName !== 'string' || typeof p.OutputName !== 'string' || typeof p.FilePath !== 'string')) {
      throw new DefinitionError(`Step ${name}: PropertyFiles entries need PropertyFileName, OutputName and FilePath`);
    }
    if (propertyFiles.length && s.Type !== 'Processing') throw new DefinitionError(`Step ${name}: only Processing steps have PropertyFiles`);
    const def: StepDef = {
      Name: name,
      Type: s.Type,
      Arguments: args,
      DependsOn: dependsOn as string[],
      PropertyFiles: propertyFiles,
      after: [],
      ...(isObj(s.CacheConfig) ? { CacheConfig: s.CacheConfig as StepDef['CacheConfig'] } : {}),
      ...(typeof s.DisplayName === 'string' ? { DisplayName: s.DisplayName } : {}),
      ...(typeof s.Description === 'string' ? { Description: s.Description } : {}),
      ...(branch ? { branch } : {}),
    };
    steps.set(name, def);
    if (s.Type === 'Condition') {
      if (!Array.isArray(args.Conditions) || args.Conditions.length === 0) throw new DefinitionError(`Condition step ${name} needs a non-empty Conditions list`);
      for (const c of args.Conditions) {
        const p = conditionProblem(c);
        if (p) throw new DefinitionError(`Condition step ${name}: ${p} (types: ${CONDITION_TYPES.join(', ')})`);
      }
      for (const [key, when] of [['IfSteps', 'True'], ['ElseSteps', 'False']] as const) {
        const list = args[key] ?? [];
        if (!Array.isArray(list)) throw new DefinitionError(`Condition step ${name}: ${key} must be a list of steps`);
        // The SDK nests whole step objects in IfSteps/ElseSteps; keep only their names in the arguments.
        args[key] = list.map((b) => (typeof b === 'string' ? b : add(b, { condition: name, when })));
      }
    }
    if (s.Type === 'Fail' && args.ErrorMessage === undefined) args.ErrorMessage = '';
    return name;
  };
  for (const s of raw.Steps) add(s);
  if (steps.size > MAX_STEPS) throw new DefinitionError(`PipelineDefinition has ${steps.size} steps; Slipway runs at most ${MAX_STEPS}`);
  // Steps named by string in a branch (not nested) still belong to that branch.
  for (const s of steps.values()) {
    if (s.Type !== 'Condition') continue;
    for (const [key, when] of [['IfSteps', 'True'], ['ElseSteps', 'False']] as const) {
      for (const b of s.Arguments[key] as string[]) {
        const target = steps.get(b);
        if (!target) throw new DefinitionError(`Condition step ${s.Name}: ${key} names step ${b}, which is not defined`);
        if (target.branch && target.branch.condition !== s.Name) throw new DefinitionError(`Step ${b} is in the branches of two condition steps`);
        target.branch = { condition: s.Name, when };
      }
    }
  }
  const paramNames = new Set(parameters.map((p) => p.Name));
  for (const s of steps.values()) {
    const refs = references(s.Type === 'Condition' ? s.Arguments.Conditions : s.Arguments);
    for (const d of s.DependsOn) if (!steps.has(d)) throw new DefinitionError(`Step ${s.Name}: DependsOn names step ${d}, which is not defined`);
    for (const r of refs.steps) if (!steps.has(r)) throw new DefinitionError(`Step ${s.Name} refers to step ${r}, which is not defined`);
    for (const p of refs.parameters) if (!paramNames.has(p)) throw new DefinitionError(`Step ${s.Name} refers to parameter ${p}, which is not defined in Parameters`);
    for (const e of refs.execution) if (!(EXECUTION_VARIABLES as readonly string[]).includes(e)) throw new DefinitionError(`Step ${s.Name} refers to Execution.${e}, which is not an execution variable (${EXECUTION_VARIABLES.join(', ')})`);
    for (const o of refs.other) throw new DefinitionError(`Step ${s.Name}: Get ${o} must start with Steps., Parameters. or Execution.`);
    checkPropertyFileRefs(s, steps);
    s.after = [...new Set([...s.DependsOn, ...refs.steps, ...(s.branch ? [s.branch.condition] : [])])].filter((d) => d !== s.Name);
    if (refs.steps.has(s.Name)) throw new DefinitionError(`Step ${s.Name} refers to itself`);
  }
  checkAcyclic(steps);
  return { parameters, steps };
}

function parseParameters(raw: unknown): ParameterDef[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new DefinitionError('Parameters must be a list');
  const seen = new Set<string>();
  return raw.map((p) => {
    if (!isObj(p) || typeof p.Name !== 'string' || !p.Name) throw new DefinitionError('Each parameter needs a Name');
    if (seen.has(p.Name)) throw new DefinitionError(`Parameter ${p.Name} is defined more than once`);
    seen.add(p.Name);
    const type = p.Type ?? 'String';
    if (typeof type !== 'string' || !PARAM_TYPES.includes(type)) throw new DefinitionError(`Parameter ${p.Name} has type ${JSON.stringify(type)} (one of ${PARAM_TYPES.join(', ')})`);
    const def: ParameterDef = { Name: p.Name, Type: type as ParameterDef['Type'] };
    if (p.DefaultValue !== undefined) def.DefaultValue = coerceParameter(def, p.DefaultValue);
    return def;
  });
}

/** A parameter's value as its type says (PipelineParameters arrive as strings); throws DefinitionError. */
export function coerceParameter(p: ParameterDef, v: unknown): ParamValue {
  const bad = () => new DefinitionError(`Parameter ${p.Name} of type ${p.Type} cannot take the value ${JSON.stringify(v)}`);
  switch (p.Type) {
    case 'Integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isInteger(n)) throw bad();
      return n;
    }
    case 'Float': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw bad();
      return n;
    }
    case 'Boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'True') return true;
      if (v === 'false' || v === 'False') return false;
      throw bad();
    default:
      if (typeof v !== 'string') throw bad();
      return v;
  }
}

function checkPropertyFileRefs(s: StepDef, steps: Map<string, StepDef>): void {
  const text = JSON.stringify(s.Arguments);
  for (const m of text.matchAll(/"Steps\.([A-Za-z0-9_\-]+)\.PropertyFiles\.([A-Za-z0-9_\-]+)"/g)) {
    const target = steps.get(m[1]!);
    if (!target?.PropertyFiles.some((p) => p.PropertyFileName === m[2])) {
      throw new DefinitionError(`Step ${s.Name} reads property file ${m[2]} of step ${m[1]}, which that step does not declare in PropertyFiles`);
    }
  }
}

function checkAcyclic(steps: Map<string, StepDef>): void {
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 2) return;
    if (state.get(name) === 1) throw new DefinitionError(`The steps form a cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
    state.set(name, 1);
    for (const d of steps.get(name)!.after) visit(d, [...path, name]);
    state.set(name, 2);
  };
  for (const n of steps.keys()) visit(n, []);
}

/**
 * The name SageMaker gives a step's job: `pipelines-<execution id>-<step>-<hash>`, within the 63
 * characters of a job name (the step part is shortened when needed).
 */
export function stepJobName(executionId: string, step: string, hash: string): string {
  const room = 63 - 'pipelines-'.length - executionId.length - 2 - hash.length;
  return `pipelines-${executionId}-${step.slice(0, Math.max(1, room)).replace(/_/g, '-')}-${hash}`;
}

/** An execution ARN: `arn:aws:sagemaker:<region>:<account>:pipeline/<pipeline>/execution/<id>`. */
export function executionArn(pipelineArn: string, id: string): string {
  return `${pipelineArn}/execution/${id}`;
}

/** ISO 8601 durations as CacheConfig.ExpireAfter takes them (PnYnMnDTnHnMnS, PnW); milliseconds, or undefined when malformed. */
export function durationMs(text: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (!m || text.toUpperCase() === 'P' || text.toUpperCase().endsWith('T')) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number, number];
  return ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000;
}

/**
 * Steps not started whose every dependency succeeded and whose condition branch was taken. A step
 * whose branch was not taken, or that waits on such a step, never runs (SageMaker lists it not).
 */
export function readySteps(graph: PipelineGraph, runs: Record<string, StepRun>): StepDef[] {
  const skipped = new Set<string>();
  const isSkipped = (name: string, seen = new Set<string>()): boolean => {
    if (skipped.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const s = graph.steps.get(name)!;
    const cond = s.branch ? runs[s.branch.condition] : undefined;
    const out = (cond?.status === 'Succeeded' && cond.outcome !== s.branch!.when) || s.after.some((d) => isSkipped(d, seen));
    if (out) skipped.add(name);
    return out;
  };
  return [...graph.steps.values()].filter((s) => !runs[s.Name] && !isSkipped(s.Name) && s.after.every((d) => runs[d]?.status === 'Succeeded'));
}

/**
 * How the execution controller reaches the API (controllers may not import services): `call` runs
 * an operation's request through the same model validation and handler as a request on the wire,
 * and throws its ServiceError. The composition root wires it (services/sagemaker/api-launcher.ts).
 */
export interface ApiLauncher {
  call(ctx: { region: string; accountId: string }, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}
