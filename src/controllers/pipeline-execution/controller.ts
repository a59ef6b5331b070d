/**
 * @module controllers/pipeline-execution/controller — runs a pipeline execution's DAG: starts
 * every step whose dependencies (DependsOn, data references, its condition branch) succeeded, in
 * parallel up to MaxParallelExecutionSteps; job steps go through the API's own code (ApiLauncher:
 * validation + handler) and are followed by Describe; condition and fail steps are evaluated
 * here; cached steps reuse an earlier execution's result.
 *
 *   Executing ─ start ready steps, poll running ones every POLL_MS
 *       ├─ every step done or skipped (untaken branch) ─▶ Succeeded
 *       ├─ a step Failed/Stopped: no new starts; when none runs ─▶ Failed (FailureReason)
 *       └─ StopPipelineExecution ─▶ Stopping ─ stop running jobs ─▶ Stopped
 *
 * A step is recorded (with its job name and request) before its job is created, and a pass
 * re-creates a recorded job that does not exist, so a server restart resumes the execution.
 */
import { createHash } from 'node:crypto';
import { ServiceError } from '../../protocol/errors.js';
import { nameOfKey, resourceKey, type ResourceRecord } from '../../resources/kinds.js';
import {
  EXECUTION_TERMINAL,
  NAME_MEMBER,
  PipelineExecutionStatus,
  durationMs,
  parseDefinition,
  readySteps,
  stepJobName,
  type ApiLauncher,
  type JobStepType,
  type PipelineGraph,
  type StepDef,
  type StepRun,
} from '../../resources/pipeline.js';
import { ExpressionError, evaluate, evaluateCondition, type ExpressionContext } from '../../resources/pipeline-expressions.js';
import { wireTime } from '../../resources/wire-time.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import { logger } from '../../platform/logger.js';
import type { Controller } from '../controller.js';
import { DONE, requeueAfter, type ReconcileResult, type WorkQueue } from '../work-queue.js';
import { PropertyFileError, propertyFileUri, readJsonObject } from './property-files.js';
import { STEP_JOB_API, stepStatusOfJob } from './step-jobs.js';

export const EXECUTION_KIND = 'pipeline-execution';
const POLL_MS = 1000;
/** SageMaker's default for MaxParallelExecutionSteps when none is configured. */
const DEFAULT_PARALLEL_STEPS = 50;

export interface PipelineExecutionControllerDeps {
  resources: ResourceStore;
  queue: WorkQueue;
  launcher: ApiLauncher;
  objects: ObjectStore;
  now?: () => number;
}

type ExecutionRecord = ResourceRecord<'pipeline-execution'>;
type Ctx = { region: string; accountId: string };
const RUNNING = new Set(['Executing', 'Stopping']);

function reasonOf(err: unknown): string {
  if (err instanceof ServiceError) return `${err.code}: ${err.message}`;
  if (err instanceof ExpressionError || err instanceof PropertyFileError) return err.message;
  return String(err);
}

export class PipelineExecutionController implements Controller {
  readonly kind = EXECUTION_KIND;
  readonly reconcile = (key: string): Promise<ReconcileResult> => this.step(nameOfKey(key));

  constructor(private readonly deps: PipelineExecutionControllerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async resume(): Promise<void> {
    for (const r of await this.deps.resources.listByStatus(EXECUTION_KIND, [PipelineExecutionStatus.Executing, PipelineExecutionStatus.Stopping])) {
      this.deps.queue.enqueue(resourceKey(EXECUTION_KIND, r.name));
    }
  }

  async stop(): Promise<void> {}

  private async step(id: string): Promise<ReconcileResult> {
    const rec = await this.deps.resources.get(EXECUTION_KIND, id);
    if (!rec || EXECUTION_TERMINAL.includes(rec.status)) return DONE;
    let graph: PipelineGraph;
    try {
      graph = parseDefinition(rec.internal.definition);
    } catch (err) {
      // Checked at CreatePipeline; a definition stored by an older, laxer server ends here, not in retries.
      return this.finish(id, PipelineExecutionStatus.Failed, `The pipeline definition cannot be run: ${(err as Error).message}`);
    }
    const ctx: Ctx = { region: rec.internal.region, accountId: rec.internal.accountId };
    const runs = rec.internal.steps;
    const order = rec.internal.order;
    const save = () =>
      this.deps.resources.update(EXECUTION_KIND, id, (r) => {
        r.internal.steps = runs;
        r.internal.order = order;
      });

    // Follow the running jobs.
    for (const [name, run] of Object.entries(runs)) {
      if (RUNNING.has(run.status)) await this.poll(ctx, graph.steps.get(name)!, run);
    }
    await save();

    const stopping = (await this.deps.resources.get(EXECUTION_KIND, id))!.status === PipelineExecutionStatus.Stopping;
    const running = () => Object.values(runs).filter((r) => RUNNING.has(r.status));
    const failed = () => Object.entries(runs).find(([, r]) => r.status === 'Failed' || r.status === 'Stopped');
    if (stopping) {
      for (const [name, run] of Object.entries(runs)) if (RUNNING.has(run.status)) await this.stopJob(ctx, graph.steps.get(name)!, run);
      await save();
      if (running().length === 0) return this.finish(id, PipelineExecutionStatus.Stopped);
      return requeueAfter(POLL_MS);
    }

    if (!failed()) {
      const limit = rec.doc.ParallelismConfiguration?.MaxParallelExecutionSteps ?? DEFAULT_PARALLEL_STEPS;
      // Condition and fail steps finish at once and may make more steps ready: loop until nothing starts.
      for (let started = true; started && !failed(); ) {
        started = false;
        for (const s of readySteps(graph, runs)) {
          if (running().length >= limit) break;
          order.push(s.Name);
          runs[s.Name] = { status: 'Executing', startTime: this.now(), attempt: (rec.internal.retries?.[s.Name] ?? 0) + 1 };
          await save();
          await this.start(rec, graph, s, runs);
          await save();
          started = true;
        }
      }
    }

    if (running().length > 0) return requeueAfter(POLL_MS);
    const bad = failed();
    if (bad) {
      const [name, run] = bad;
      const reason = graph.steps.get(name)?.Type === 'Fail' ? run.failureReason ?? '' : `Step ${name} ${run.status === 'Stopped' ? 'was stopped' : 'failed'}: ${run.failureReason ?? 'no reason given'}`;
      return this.finish(id, PipelineExecutionStatus.Failed, reason);
    }
    if (readySteps(graph, runs).length === 0) return this.finish(id, PipelineExecutionStatus.Succeeded);
    return requeueAfter(0);
  }

  private exprContext(rec: ExecutionRecord, runs: Record<string, StepRun>, pipelineArn: string): ExpressionContext {
    return {
      parameters: rec.internal.parameters,
      execution: {
        PipelineExecutionId: rec.name,
        PipelineExecutionArn: rec.arn,
        PipelineName: rec.internal.pipelineName,
        PipelineArn: pipelineArn,
        StartDateTime: new Date(rec.internal.startTime).toISOString(),
        CurrentDateTime: new Date(this.now()).toISOString(),
      },
      stepProperties: (step) => (runs[step]?.status === 'Succeeded' ? runs[step]!.properties : undefined),
      propertyFile: (step, file) => runs[step]?.propertyFiles?.[file],
    };
  }

  /** Starts one step; on return its run is Executing (a job runs), Succeeded or Failed. */
  private async start(rec: ExecutionRecord, graph: PipelineGraph, s: StepDef, runs: Record<string, StepRun>): Promise<void> {
    const run = runs[s.Name]!;
    const ctx: Ctx = { region: rec.internal.region, accountId: rec.internal.accountId };
    const expr = this.exprContext(rec, runs, rec.doc.PipelineArn);
    const end = (status: StepRun['status'], failureReason?: string) => {
      run.status = status;
      run.endTime = this.now();
      if (failureReason !== undefined) run.failureReason = failureReason.slice(0, 1024);
    };
    try {
      const s3 = await this.readS3JsonGets(s.Arguments, expr);
      expr.s3Json = (uri) => s3.get(uri);
      if (s.Type === 'Condition') {
        const ok = (s.Arguments.Conditions as unknown[]).every((c) => evaluateCondition(c, expr));
        run.outcome = ok ? 'True' : 'False';
        run.properties = { Outcome: run.outcome };
        return end('Succeeded');
      }
      if (s.Type === 'Fail') {
        const msg = evaluate(s.Arguments.ErrorMessage, expr);
        run.errorMessage = typeof msg === 'string' ? msg : JSON.stringify(msg);
        return end('Failed', run.errorMessage);
      }
      const type = s.Type as JobStepType;
      const request = evaluate(s.Arguments, expr) as Record<string, unknown>;
      if (s.CacheConfig?.Enabled) {
        run.cacheKey = cacheKey(type, s.Arguments, { ...expr, execution: Object.fromEntries(Object.keys(expr.execution).map((k) => [k, `<${k}>`])) });
        const hit = await this.cached(rec, s, run.cacheKey);
        if (hit) {
          Object.assign(run, { jobName: hit.run.jobName, jobArn: hit.run.jobArn, properties: hit.run.properties, propertyFiles: hit.run.propertyFiles, cacheHit: { SourcePipelineExecutionArn: hit.arn } });
          return end('Succeeded');
        }
      }
      const nameMember = NAME_MEMBER[type];
      if (nameMember) {
        const hash = createHash('sha256').update(`${rec.arn}#${s.Name}#${run.attempt}`).digest('hex').slice(0, 10);
        run.jobName = stepJobName(rec.name, s.Name, hash);
        request[nameMember] = run.jobName;
      }
      run.request = request;
      await this.create(ctx, s, run);
    } catch (err) {
      if (!(err instanceof ServiceError || err instanceof ExpressionError || err instanceof PropertyFileError)) logger.error({ err, execution: rec.arn, step: s.Name }, 'a pipeline step failed to start');
      end('Failed', reasonOf(err));
    }
  }

  /**
   * The JSON documents `Std:JsonGet {S3Uri}` expressions in these arguments name, read (with the
   * property-file budget) before the synchronous evaluation needs them.
   */
  private async readS3JsonGets(args: unknown, expr: ExpressionContext): Promise<Map<string, unknown>> {
    const docs = new Map<string, unknown>();
    const stack: unknown[] = [args];
    while (stack.length) {
      const v = stack.pop();
      if (Array.isArray(v)) stack.push(...v);
      else if (v && typeof v === 'object') {
        const get = (v as Record<string, unknown>)['Std:JsonGet'] as Record<string, unknown> | undefined;
        if (get && typeof get === 'object' && get.S3Uri !== undefined) {
          const uri = evaluate(get.S3Uri, expr);
          if (typeof uri !== 'string') throw new ExpressionError('Std:JsonGet S3Uri must evaluate to an s3:// URI');
          if (!docs.has(uri)) docs.set(uri, await readJsonObject(this.deps.objects, uri));
        }
        stack.push(...Object.values(v));
      }
    }
    return docs;
  }

  /** Creates the step's resource from its recorded request; a model or model package is done at once. */
  private async create(ctx: Ctx, s: StepDef, run: StepRun): Promise<void> {
    const api = STEP_JOB_API[s.Type as JobStepType];
    try {
      const out = await this.deps.launcher.call(ctx, api.create, run.request!);
      run.jobArn = out[api.arnMember] as string;
      if (!run.jobName) run.jobName = run.jobArn;
    } catch (err) {
      // Created before a restart: follow it.
      if (!(err instanceof ServiceError && err.code === 'ResourceInUse' && run.jobName)) throw err;
    }
    if (!api.stop) {
      run.properties = await this.deps.launcher.call(ctx, api.describe, { [api.nameMember]: run.jobName });
      run.jobArn ??= run.properties[api.arnMember] as string;
      run.status = 'Succeeded';
      run.endTime = this.now();
    }
  }

  /** Follows a running job step: its Describe answer becomes the step's status and properties. */
  private async poll(ctx: Ctx, s: StepDef, run: StepRun): Promise<void> {
    const api = STEP_JOB_API[s.Type as JobStepType];
    if (!api || !run.jobName) return;
    let doc: Record<string, unknown>;
    try {
      doc = await this.deps.launcher.call(ctx, api.describe, { [api.nameMember]: run.jobName });
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      // Recorded but never created (the server stopped in between): create it now.
      try {
        if (run.request && run.status === 'Executing') return await this.create(ctx, s, run);
      } catch (e) {
        run.failureReason = reasonOf(e);
      }
      run.status = 'Failed';
      run.endTime = this.now();
      run.failureReason ??= reasonOf(err);
      return;
    }
    run.jobArn ??= doc[api.arnMember] as string;
    const status = stepStatusOfJob(doc[api.statusMember!]);
    if (!status) return;
    run.properties = doc;
    run.endTime = this.now();
    if (status !== 'Succeeded') {
      run.status = status;
      run.failureReason = String(doc.FailureReason ?? (status === 'Stopped' ? 'The job was stopped.' : 'The job failed.')).slice(0, 1024);
      return;
    }
    try {
      if (s.PropertyFiles.length) {
        run.propertyFiles = {};
        for (const p of s.PropertyFiles) run.propertyFiles[p.PropertyFileName] = await readJsonObject(this.deps.objects, propertyFileUri(doc, p.OutputName, p.FilePath));
      }
      run.status = 'Succeeded';
    } catch (err) {
      if (!(err instanceof PropertyFileError)) throw err;
      run.status = 'Failed';
      run.failureReason = `Property file: ${err.message}`.slice(0, 1024);
    }
  }

  private async stopJob(ctx: Ctx, s: StepDef, run: StepRun): Promise<void> {
    const api = STEP_JOB_API[s.Type as JobStepType];
    if (!api?.stop || !run.jobName || run.status === 'Stopping') return;
    try {
      await this.deps.launcher.call(ctx, api.stop, { [api.nameMember]: run.jobName });
      run.status = 'Stopping';
    } catch (err) {
      // The job ended between our read and the stop: the next poll records how.
      if (!(err instanceof ServiceError)) throw err;
    }
  }

  /** A succeeded run of this step with the same cache key in an earlier execution of the pipeline, within ExpireAfter. */
  private async cached(rec: ExecutionRecord, s: StepDef, key: string): Promise<{ arn: string; run: StepRun } | undefined> {
    const expire = s.CacheConfig?.ExpireAfter ? durationMs(s.CacheConfig.ExpireAfter) : undefined;
    let best: { arn: string; run: StepRun } | undefined;
    let token: string | undefined;
    do {
      const page = await this.deps.resources.list(EXECUTION_KIND, { where: (d) => d.PipelineArn === rec.doc.PipelineArn, maxResults: 100, ...(token ? { nextToken: token } : {}) });
      for (const other of page.items) {
        if (other.name === rec.name) continue;
        const r = other.internal.steps[s.Name];
        if (!r || r.status !== 'Succeeded' || r.cacheKey !== key || r.endTime === undefined) continue;
        if (expire !== undefined && this.now() - r.endTime > expire) continue;
        if (!best || (best.run.endTime ?? 0) < r.endTime) best = { arn: r.cacheHit?.SourcePipelineExecutionArn ?? other.arn, run: r };
      }
      token = page.nextToken;
    } while (token);
    return best;
  }

  private async finish(id: string, status: PipelineExecutionStatus, reason?: string): Promise<ReconcileResult> {
    const t = this.now();
    await this.deps.resources.update(
      EXECUTION_KIND,
      id,
      (r) => {
        if (EXECUTION_TERMINAL.includes(r.status)) return;
        r.status = status;
        r.doc.PipelineExecutionStatus = status;
        r.doc.LastModifiedTime = wireTime(t);
        if (reason !== undefined) r.doc.FailureReason = reason.slice(0, 1300);
      },
      { now: t },
    );
    return DONE;
  }
}

/** The cache key of a job step: its type and arguments with parameters and step properties resolved and execution variables left symbolic. */
function cacheKey(type: string, args: Record<string, unknown>, expr: ExpressionContext): string {
  return createHash('sha256').update(type).update(canonical(evaluate(args, expr))).digest('hex');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
