/**
 * @module controllers/tuning-job/controller — drives a hyperparameter tuning job: launches its
 * training jobs through CreateTrainingJob's own path (a TrainingJobLauncher), at most
 * MaxParallelTrainingJobs at a time (the training controller's admission then fits them to the
 * host), reads each finished job's objective from its final metrics, and keeps the counters and
 * the best job on the record.
 *
 *   InProgress ─ launch while < MaxParallel running and < MaxNumberOfTrainingJobs launched
 *       │        (poll the children every POLL_MS; early stopping Auto and Hyperband stop a
 *       │        running child through StopTrainingJob when ./early-stopping.ts says so)
 *       ├─ all launched and finished ─▶ Completed (a best job) | Failed (no objective reported)
 *       └─ StopHyperParameterTuningJob ─▶ Stopping ─ stop running children ─▶ Stopped
 *
 * Every child is written to the record before its training job is created, and a reconcile
 * creates any recorded child that has no training job yet, so a restart loses nothing.
 */
import { ServiceError } from '../../protocol/errors.js';
import { nameOfKey, resourceKey, type ResourceRecord } from '../../resources/kinds.js';
import { decodePoint, gridSize, searchSpace } from '../../resources/search-space.js';
import {
  TUNING_TERMINAL,
  TuningJobStatus,
  bestChild,
  childJobName,
  childSummary,
  childTrainingRequest,
  countChildren,
  type TrainingJobLauncher,
  type TrainingJobSummaryDoc,
  type TuningChild,
} from '../../resources/tuning-job.js';
import { wireTime } from '../../resources/wire-time.js';
import type { ResourceStore } from '../../storage/resource-store.js';
import { logger } from '../../platform/logger.js';
import type { Controller } from '../controller.js';
import { DONE, requeueAfter, type ReconcileResult, type WorkQueue } from '../work-queue.js';
import { nextPoint, type Strategy } from './strategy.js';
import type { Observation } from './gaussian-process.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import { stoppingPlan, verdictFor } from './stopping-plan.js';

export const TUNING_KIND = 'hyper-parameter-tuning-job';
const POLL_MS = 1000;
/** Children created per reconcile pass: the rest follow on the next pass, so one pass never holds the event loop for long. */
const LAUNCH_BATCH = 10;

export interface TuningJobControllerDeps {
  resources: ResourceStore;
  queue: WorkQueue;
  launcher: TrainingJobLauncher;
  now?: () => number;
}

type TuningRecord = ResourceRecord<'hyper-parameter-tuning-job'>;

const RUNNING = new Set(['InProgress', 'Stopping']);
const ENDED = new Set(['Completed', 'Stopped', 'Failed']);

/** A child's training job as the controller reads it: its document and objective series. */
type ChildJob = { doc: TrainingJobDoc; series?: Record<string, [number, number][]> } | undefined;

export class TuningJobController implements Controller {
  readonly kind = TUNING_KIND;
  readonly reconcile = (key: string): Promise<ReconcileResult> => Promise.resolve(this.step(nameOfKey(key)));

  constructor(private readonly deps: TuningJobControllerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async resume(): Promise<void> {
    for (const r of await this.deps.resources.listByStatus(TUNING_KIND, [TuningJobStatus.InProgress, TuningJobStatus.Stopping])) {
      this.deps.queue.enqueue(resourceKey(TUNING_KIND, r.name));
    }
  }

  async stop(): Promise<void> {}

  /** The children's training jobs (the one place this controller reads them). */
  private childJobs(rec: TuningRecord): Promise<ChildJob[]> {
    return Promise.all(
      rec.internal.children.map(async (c) => {
        const r = await this.deps.resources.get('training-job', c.name);
        return r && { doc: r.doc, series: r.internal.metricSeries };
      }),
    );
  }

  private summaries(rec: TuningRecord, jobs: ChildJob[]): TrainingJobSummaryDoc[] {
    const objective = rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
    return rec.internal.children.map((c, i) => childSummary(rec.name, c, jobs[i]?.doc, objective));
  }

  private async step(name: string): Promise<ReconcileResult> {
    let rec = await this.deps.resources.get(TUNING_KIND, name);
    if (!rec || TUNING_TERMINAL.includes(rec.status)) return DONE;
    // A child recorded but never created (the server stopped in between): create it now.
    for (const c of rec.internal.children) {
      if (!c.launchError && !await this.deps.resources.get('training-job', c.name)) await this.launch(rec, c);
    }
    rec = (await this.deps.resources.get(TUNING_KIND, name))!;
    const cfg = rec.doc.HyperParameterTuningJobConfig;
    const jobs = await this.childJobs(rec);
    let summaries = this.summaries(rec, jobs);
    let running = summaries.filter((s) => RUNNING.has(s.TrainingJobStatus));
    const limits = cfg.ResourceLimits;
    const timeUp = limits.MaxRuntimeInSeconds !== undefined && this.now() - rec.creationTime >= limits.MaxRuntimeInSeconds * 1000;

    if (rec.status === TuningJobStatus.Stopping || timeUp) {
      for (const s of running) await this.stopChild(s.TrainingJobName);
      if (running.length === 0) return this.finish(name, rec.status === TuningJobStatus.Stopping ? TuningJobStatus.Stopped : undefined);
      await this.record(name);
      return requeueAfter(POLL_MS);
    }

    await this.earlyStops(rec, jobs);
    const { dims } = searchSpace(cfg.ParameterRanges);
    const strategy = cfg.Strategy as Strategy;
    const maxJobs = limits.MaxNumberOfTrainingJobs ?? (strategy === 'Grid' ? gridSize(dims) : 1);
    let launched = 0;
    while (rec.internal.children.length < maxJobs && running.length < limits.MaxParallelTrainingJobs && launched++ < LAUNCH_BATCH) {
      const index = rec.internal.children.length;
      const point = nextPoint({ strategy, dims, seed: seedOf(rec), ...this.observations(rec, summaries), priorCount: rec.internal.priors?.length ?? 0 }, index);
      const child: TuningChild = { name: childJobName(rec.name, rec.arn, index), point, tuned: decodePoint(dims, point) };
      rec = (await this.deps.resources.update(TUNING_KIND, name, (r) => void r.internal.children.push(child), { now: this.now() }))!;
      await this.launch(rec, child);
      rec = (await this.deps.resources.get(TUNING_KIND, name))!;
      summaries = this.summaries(rec, await this.childJobs(rec));
      running = summaries.filter((s) => RUNNING.has(s.TrainingJobStatus));
    }
    if (rec.internal.children.length >= maxJobs && running.length === 0) return this.finish(name);
    await this.record(name);
    return requeueAfter(launched > LAUNCH_BATCH ? 0 : POLL_MS);
  }

  /** Finished children with an objective value (negated for Minimize), and the running children's points. */
  private observations(rec: TuningRecord, summaries: TrainingJobSummaryDoc[]): { observed: Observation[]; pending: number[][] } {
    const sign = rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective?.Type === 'Minimize' ? -1 : 1;
    const observed: Observation[] = (rec.internal.priors ?? []).map((p) => ({ x: p.point, y: sign * p.value }));
    const pending: number[][] = [];
    summaries.forEach((s, i) => {
      const x = rec.internal.children[i]!.point;
      const v = s.FinalHyperParameterTuningJobObjectiveMetric?.Value;
      if (v !== undefined) observed.push({ x, y: sign * v });
      else if (RUNNING.has(s.TrainingJobStatus)) pending.push(x);
    });
    return { observed, pending };
  }

  private async launch(rec: TuningRecord, child: TuningChild): Promise<void> {
    const def = rec.doc.TrainingJobDefinition;
    const input = childTrainingRequest(def, child.name, child.tuned, rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective);
    try {
      await this.deps.launcher.create({ region: rec.internal.region, accountId: rec.internal.accountId }, input, rec.arn);
    } catch (err) {
      // A training job of that name exists: this child was created before a restart.
      if (err instanceof ServiceError && err.code === 'ResourceInUse') return;
      const reason = err instanceof ServiceError ? `CreateTrainingJob refused the training job: ${err.message}` : `CreateTrainingJob failed: ${String(err)}`;
      if (!(err instanceof ServiceError)) logger.error({ err, tuningJob: rec.name, child: child.name }, 'launching a tuning child failed');
      await this.deps.resources.update(TUNING_KIND, rec.name, (r) => {
        const c = r.internal.children.find((x) => x.name === child.name);
        if (c) c.launchError = reason;
      });
    }
  }

  /**
   * Early stopping Auto or Hyperband: each running child's objective values so far against the
   * others'; a child to stop gets its reason recorded, then StopTrainingJob's own path, and ends
   * Stopped with its last value as its objective.
   */
  private async earlyStops(rec: TuningRecord, jobs: ChildJob[]): Promise<void> {
    const cfg = rec.doc.HyperParameterTuningJobConfig;
    const objective = cfg.HyperParameterTuningJobObjective;
    const plan = stoppingPlan(cfg, rec.doc.TrainingJobDefinition.StaticHyperParameters);
    if (!plan || !objective) return;
    if (!jobs.some((j) => j?.doc.TrainingJobStatus === 'InProgress')) return;
    const sign = objective.Type === 'Minimize' ? -1 : 1;
    const values = jobs.map((j) => (j?.series?.[objective.MetricName] ?? []).map(([, v]) => sign * v));
    for (const [i, c] of rec.internal.children.entries()) {
      if (jobs[i]?.doc.TrainingJobStatus !== 'InProgress') continue;
      // Decided before a restart that came between the record and the stop: stop it now.
      if (c.stopReason) {
        await this.stopChild(c.name);
        continue;
      }
      const verdict = verdictFor(plan, values, i);
      if (!verdict) continue;
      logger.info({ tuningJob: rec.name, trainingJob: c.name, reason: verdict.reason }, 'tuning job stops a training job early');
      await this.deps.resources.update(TUNING_KIND, rec.name, (r) => {
        const child = r.internal.children.find((x) => x.name === c.name);
        if (child) child.stopReason = verdict.reason;
      });
      await this.stopChild(c.name);
    }
  }

  private async stopChild(name: string): Promise<void> {
    try {
      await this.deps.launcher.stop(name);
    } catch (err) {
      // The job ended between our read and the stop: nothing left to stop.
      if (!(err instanceof ServiceError)) throw err;
    }
  }

  /** Writes the counters and the best job so far. */
  private async record(name: string, end?: (r: TuningRecord, best: TrainingJobSummaryDoc | undefined, summaries: TrainingJobSummaryDoc[]) => void): Promise<void> {
    const t = this.now();
    // The children's states are read first: the update's mutation runs inside its transaction and must not wait.
    const current = await this.deps.resources.get(TUNING_KIND, name);
    if (!current) return;
    const summaries = this.summaries(current, await this.childJobs(current));
    await this.deps.resources.update(
      TUNING_KIND,
      name,
      (r) => {
        const { status, objective } = countChildren(summaries);
        const obj = r.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
        const best = obj ? bestChild(summaries, obj) : undefined;
        summaries.forEach((s, i) => {
          const c = r.internal.children[i]!;
          if (c.finalObjective === undefined && ENDED.has(s.TrainingJobStatus)) c.finalObjective = s.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? null;
        });
        r.doc.TrainingJobStatusCounters = status;
        r.doc.ObjectiveStatusCounters = objective;
        if (best) r.doc.BestTrainingJob = best;
        if (obj && r.internal.parentBest) {
          const overall = bestChild([...(best ? [best] : []), ...r.internal.parentBest], obj);
          if (overall) r.doc.OverallBestTrainingJob = overall;
        }
        r.doc.LastModifiedTime = wireTime(t);
        end?.(r, best, summaries);
      },
      { now: t },
    );
  }

  /** Ends the job: Stopped when asked, else Completed with a best job or Failed saying why there is none. */
  private async finish(name: string, forced?: 'Stopped'): Promise<ReconcileResult> {
    const t = this.now();
    await this.record(name, (r, best, summaries) => {
      if (TUNING_TERMINAL.includes(r.status)) return;
      const status = forced ?? (best ? TuningJobStatus.Completed : TuningJobStatus.Failed);
      r.status = status;
      r.doc.HyperParameterTuningJobStatus = status;
      r.doc.HyperParameterTuningEndTime = wireTime(t);
      r.doc.ConsumedResources = { RuntimeInSeconds: Math.round((t - r.creationTime) / 1000) };
      if (status === TuningJobStatus.Failed) r.doc.FailureReason = noBestReason(r, summaries);
    });
    return DONE;
  }
}

/** The job's seed: RandomSeed when given, else one derived from the ARN (stable across restarts). */
function seedOf(rec: TuningRecord): number {
  const given = rec.doc.HyperParameterTuningJobConfig.RandomSeed;
  if (typeof given === 'number') return given >>> 0;
  let h = 2166136261;
  for (const ch of rec.arn) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

function noBestReason(rec: TuningRecord, summaries: TrainingJobSummaryDoc[]): string {
  const metric = rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective?.MetricName ?? '(none)';
  const completed = summaries.filter((s) => s.TrainingJobStatus === 'Completed');
  if (summaries.length > 0 && completed.length === 0) {
    const last = [...summaries].reverse().find((s) => s.FailureReason);
    return `All ${summaries.length} training jobs failed${last ? `; ${last.TrainingJobName}: ${last.FailureReason}` : ''}`.slice(0, 1024);
  }
  const defs = (rec.doc.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions ?? []).find((m) => m.Name === metric);
  return (
    `No training job reported the objective metric ${metric}: ${completed.length} completed without it. ` +
    (defs
      ? `Its MetricDefinitions regex ${defs.Regex} matched no line the training container printed`
      : `AlgorithmSpecification.MetricDefinitions has no definition named ${metric}`)
  ).slice(0, 1024);
}
