/**
 * @module services/sagemaker/operations/pipeline-executions — StartPipelineExecution,
 * DescribePipelineExecution, ListPipelineExecutions, ListPipelineExecutionSteps,
 * StopPipelineExecution, RetryPipelineExecution, DescribePipelineDefinitionForExecution.
 * An execution snapshots the pipeline's definition and its parameters, is written Executing and
 * enqueued; controllers/pipeline-execution runs its steps.
 *
 *   Start → Executing ──controller──▶ Succeeded | Failed
 *   Stop  → Stopping  ──controller──▶ Stopped (running steps' jobs stopped)
 *   Retry (Failed | Stopped) → Executing: failed and stopped steps run again, succeeded ones are kept
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../protocol/context.js';
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import { resourceKey, type ResourceRecord } from '../../../resources/kinds.js';
import type { ParamValue } from '../../../resources/pipeline-expressions.js';
import { DefinitionError, PipelineExecutionStatus, coerceParameter, executionArn, parseDefinition, type ExecutionDoc, type StepRun } from '../../../resources/pipeline.js';
import { wireTime } from '../../../resources/wire-time.js';
import type { SageMakerDeps } from '../deps.js';
import { ResourceNotFound } from '../errors.js';
import type { SageMakerOperations } from '../operation-types.js';
import type { Parameter, PipelineExecutionStep, PipelineExecutionSummary } from '../generated/types.js';
import { listResources } from '../list-params.js';
import { offsetPage } from '../offset-page.js';
import { findPipeline, newExecutionId } from './pipelines.js';

const KIND = 'pipeline-execution';
type Ctx = Pick<RequestContext, 'region' | 'accountId'>;
type ExecutionRecord = ResourceRecord<'pipeline-execution'>;

function executionNotFound(arn: string): ResourceNotFound {
  return new ResourceNotFound(`Pipeline execution '${arn}' does not exist.`);
}

export async function findExecution(deps: SageMakerDeps, arn: string): Promise<ExecutionRecord> {
  const rec = await deps.resources.getByArn(arn);
  if (!rec || rec.kind !== KIND) throw executionNotFound(arn);
  return rec as ExecutionRecord;
}

/** The parameters an execution runs with: the definition's defaults under the request's values. */
function resolveParameters(definition: string, given: Parameter[] | undefined): Record<string, ParamValue> {
  const graph = parseDefinition(definition);
  const out: Record<string, ParamValue> = {};
  const byName = new Map(graph.parameters.map((p) => [p.Name, p]));
  for (const g of given ?? []) {
    const p = byName.get(g.Name);
    if (!p) throw new ValidationException(`Parameter ${g.Name} is not defined in the pipeline definition (defined: ${[...byName.keys()].join(', ') || 'none'}).`);
    try {
      out[g.Name] = coerceParameter(p, g.Value);
    } catch (err) {
      if (err instanceof DefinitionError) throw new ValidationException(err.message);
      throw err;
    }
  }
  for (const p of graph.parameters) {
    if (out[p.Name] !== undefined) continue;
    if (p.DefaultValue === undefined) throw new ValidationException(`Parameter ${p.Name} has no default value; give it in PipelineParameters.`);
    out[p.Name] = p.DefaultValue;
  }
  return out;
}

const STEP_METADATA: Record<string, string> = { Training: 'TrainingJob', Processing: 'ProcessingJob', Transform: 'TransformJob', Model: 'Model', RegisterModel: 'RegisterModel' };

/** One entry of ListPipelineExecutionSteps. */
export function stepEntry(name: string, type: string, run: StepRun, display?: { DisplayName?: string; Description?: string }): PipelineExecutionStep {
  const metadata: Record<string, unknown> = {};
  if (run.jobArn && STEP_METADATA[type]) metadata[STEP_METADATA[type]!] = { Arn: run.jobArn };
  if (type === 'Condition' && run.outcome) metadata.Condition = { Outcome: run.outcome };
  if (type === 'Fail' && run.errorMessage !== undefined) metadata.Fail = { ErrorMessage: run.errorMessage };
  return {
    StepName: name,
    ...(display?.DisplayName ? { StepDisplayName: display.DisplayName } : {}),
    ...(display?.Description ? { StepDescription: display.Description } : {}),
    StepStatus: run.status,
    StartTime: wireTime(run.startTime),
    ...(run.endTime !== undefined ? { EndTime: wireTime(run.endTime) } : {}),
    ...(run.failureReason ? { FailureReason: run.failureReason } : {}),
    AttemptCount: run.attempt,
    ...(run.cacheHit ? { CacheHitResult: run.cacheHit } : {}),
    Metadata: metadata as PipelineExecutionStep['Metadata'],
  };
}

function decodeOffset(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new ValidationException('Invalid pagination token.');
  return n;
}

/** The execution of this pipeline a StartPipelineExecution with this ClientRequestToken made, if any. */
async function executionWithToken(deps: SageMakerDeps, pipelineArn: string, token: string): Promise<string | undefined> {
  let next: string | undefined;
  do {
    const page = await deps.resources.list(KIND, { where: (d) => d.PipelineArn === pipelineArn, maxResults: 100, ...(next ? { nextToken: next } : {}) });
    const hit = page.items.find((r) => r.internal.clientToken === token);
    if (hit) return hit.arn;
    next = page.nextToken;
  } while (next);
  return undefined;
}

export function pipelineExecutionOperations(deps: SageMakerDeps): OperationHandlers<SageMakerOperations> {
  const now = () => (deps.now ?? Date.now)();

  /** Moves an execution between statuses; `from` is what the request may act on. */
  const transition = async (arn: string, from: readonly string[], to: PipelineExecutionStatus, verb: string, mutate?: (r: ExecutionRecord) => void): Promise<ExecutionRecord> => {
    const rec = await findExecution(deps, arn);
    const t = now();
    let was = '';
    await deps.resources.update(
      KIND,
      rec.name,
      (r) => {
        was = r.status;
        if (!from.includes(was)) return;
        r.status = to;
        r.doc.PipelineExecutionStatus = to;
        r.doc.LastModifiedTime = wireTime(t);
        mutate?.(r);
      },
      { now: t },
    );
    if (!from.includes(was)) throw new ValidationException(`Pipeline execution '${arn}' is ${was}; only ${from.join(' or ')} executions can be ${verb}.`);
    deps.queue.enqueue(resourceKey(KIND, rec.name));
    return rec;
  };

  return {
    StartPipelineExecution: async (ctx, input) => {
      const pipeline = await findPipeline(deps, ctx as Ctx, input.PipelineName);
      if (input.SelectiveExecutionConfig) throw new ValidationException('SelectiveExecutionConfig is not supported by Slipway yet; start the whole pipeline.');
      if (input.PipelineVersionId !== undefined && input.PipelineVersionId !== pipeline.doc.PipelineVersionId) {
        throw new ValidationException(`Slipway keeps only the latest version of a pipeline (${pipeline.doc.PipelineVersionId}); PipelineVersionId ${input.PipelineVersionId} cannot be started.`);
      }
      const repeated = await executionWithToken(deps, pipeline.arn, input.ClientRequestToken);
      if (repeated) return { PipelineExecutionArn: repeated };
      const definition = pipeline.doc.PipelineDefinition;
      const parameters = resolveParameters(definition, input.PipelineParameters);
      const id = newExecutionId();
      const arn = executionArn(pipeline.arn, id);
      const t = now();
      const doc: ExecutionDoc = {
        PipelineArn: pipeline.arn,
        PipelineExecutionArn: arn,
        PipelineExecutionDisplayName: input.PipelineExecutionDisplayName ?? `execution-${t}`,
        ...(input.PipelineExecutionDescription !== undefined ? { PipelineExecutionDescription: input.PipelineExecutionDescription } : {}),
        PipelineExecutionStatus: PipelineExecutionStatus.Executing,
        CreationTime: wireTime(t),
        LastModifiedTime: wireTime(t),
        PipelineVersionId: pipeline.doc.PipelineVersionId,
        ...(input.ParallelismConfiguration ?? pipeline.doc.ParallelismConfiguration ? { ParallelismConfiguration: input.ParallelismConfiguration ?? pipeline.doc.ParallelismConfiguration } : {}),
      };
      await deps.resources.create({
        kind: KIND,
        name: id,
        arn,
        status: PipelineExecutionStatus.Executing,
        creationTime: t,
        lastModifiedTime: t,
        doc,
        internal: { region: ctx.region, accountId: ctx.accountId, pipelineName: pipeline.name, definition, parameters, steps: {}, order: [], startTime: t, clientToken: input.ClientRequestToken },
      });
      await deps.resources.update('pipeline', pipeline.name, (r) => void (r.doc.LastRunTime = wireTime(t)), { touch: false });
      deps.queue.enqueue(resourceKey(KIND, id));
      return { PipelineExecutionArn: arn };
    },

    DescribePipelineExecution: async (_ctx, input) => {
      const rec = await findExecution(deps, input.PipelineExecutionArn);
      return { ...rec.doc, LastModifiedTime: wireTime(rec.lastModifiedTime) };
    },

    DescribePipelineDefinitionForExecution: async (_ctx, input) => {
      const rec = await findExecution(deps, input.PipelineExecutionArn);
      return { PipelineDefinition: rec.internal.definition, CreationTime: rec.doc.CreationTime };
    },

    // The values the execution runs with: those given at start and the definition's defaults.
    ListPipelineParametersForExecution: async (_ctx, input) => {
      const rec = await findExecution(deps, input.PipelineExecutionArn);
      const all = Object.entries(rec.internal.parameters).map(([Name, v]) => ({ Name, Value: String(v) }));
      const { page, nextToken } = offsetPage(all, input.MaxResults ?? 50, input.NextToken);
      return { PipelineParameters: page, ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    ListPipelineExecutions: async (ctx, input) => {
      const pipeline = await findPipeline(deps, ctx as Ctx, input.PipelineName);
      const page = await listResources(
        deps.resources,
        KIND,
        {
          CreationTimeAfter: input.CreatedAfter,
          CreationTimeBefore: input.CreatedBefore,
          // SortBy PipelineExecutionArn sorts by the execution id, which is the stored name.
          SortBy: input.SortBy === 'PipelineExecutionArn' ? 'Name' : 'CreationTime',
          SortOrder: input.SortOrder,
          MaxResults: input.MaxResults ?? 10,
          NextToken: input.NextToken,
        },
        'Descending',
        (doc) => doc.PipelineArn === pipeline.arn,
      );
      const items: PipelineExecutionSummary[] = page.items.map((r) => ({
        PipelineExecutionArn: r.arn,
        StartTime: r.doc.CreationTime,
        PipelineExecutionStatus: r.doc.PipelineExecutionStatus,
        ...(r.doc.PipelineExecutionDisplayName ? { PipelineExecutionDisplayName: r.doc.PipelineExecutionDisplayName } : {}),
        ...(r.doc.PipelineExecutionDescription ? { PipelineExecutionDescription: r.doc.PipelineExecutionDescription } : {}),
        ...(r.doc.FailureReason ? { PipelineExecutionFailureReason: r.doc.FailureReason } : {}),
      }));
      return { PipelineExecutionSummaries: items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    },

    ListPipelineExecutionSteps: async (_ctx, input) => {
      if (!input.PipelineExecutionArn) throw new ValidationException('PipelineExecutionArn is required.');
      const rec = await findExecution(deps, input.PipelineExecutionArn);
      const graph = parseDefinition(rec.internal.definition);
      // Most recent first by default, as SageMaker lists them.
      const names = input.SortOrder === 'Ascending' ? [...rec.internal.order] : [...rec.internal.order].reverse();
      const offset = input.NextToken ? decodeOffset(input.NextToken) : 0;
      const max = input.MaxResults ?? 50;
      const page = names.slice(offset, offset + max).map((n) => {
        const def = graph.steps.get(n);
        return stepEntry(n, def?.Type ?? '', rec.internal.steps[n]!, def);
      });
      return { PipelineExecutionSteps: page, ...(offset + max < names.length ? { NextToken: Buffer.from(String(offset + max)).toString('base64url') } : {}) };
    },

    StopPipelineExecution: async (_ctx, input) => {
      const rec = await findExecution(deps, input.PipelineExecutionArn);
      if (rec.status === PipelineExecutionStatus.Stopping) return { PipelineExecutionArn: rec.arn };
      await transition(input.PipelineExecutionArn, [PipelineExecutionStatus.Executing], PipelineExecutionStatus.Stopping, 'stopped');
      return { PipelineExecutionArn: rec.arn };
    },

    RetryPipelineExecution: async (_ctx, input) => {
      const current = await findExecution(deps, input.PipelineExecutionArn);
      if (current.status === PipelineExecutionStatus.Executing && current.internal.retryToken === input.ClientRequestToken) return { PipelineExecutionArn: current.arn };
      const rec = await transition(input.PipelineExecutionArn, [PipelineExecutionStatus.Failed, PipelineExecutionStatus.Stopped], PipelineExecutionStatus.Executing, 'retried', (r) => {
        delete r.doc.FailureReason;
        r.internal.retryToken = input.ClientRequestToken;
        // Steps that did not succeed run again (their attempt count goes on); succeeded ones are kept.
        for (const [name, run] of Object.entries(r.internal.steps)) {
          if (run.status !== 'Succeeded') {
            r.internal.retries = { ...(r.internal.retries ?? {}), [name]: run.attempt };
            delete r.internal.steps[name];
            r.internal.order = r.internal.order.filter((n) => n !== name);
          }
        }
        if (input.ParallelismConfiguration) r.doc.ParallelismConfiguration = input.ParallelismConfiguration;
      });
      return { PipelineExecutionArn: rec.arn };
    },
  };
}
