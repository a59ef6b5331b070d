/**
 * @module services/sagemaker/operations/tuning-warm-start — WarmStartConfig of
 * CreateHyperParameterTuningJob: the parents are checked against the new job as SageMaker's warm
 * start restrictions say (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-warm-start.html),
 * and their training jobs are read once, here, into what the controller needs: the parents'
 * results placed in the new search space (Bayesian priors) and, for IdenticalDataAndAlgorithm,
 * their best jobs (OverallBestTrainingJob).
 *
 * Restrictions checked: 1–5 distinct parents, each existing and ended (Completed, Stopped or
 * Failed); the same objective metric and type; the same number of static plus tunable
 * hyperparameters; a hyperparameter tunable in both keeps its type; at most 10 changes (a tunable
 * made static counts its categorical values, or 1; a static value changed counts 2, as the
 * guide's red→blue example); IdenticalDataAndAlgorithm also keeps the training image and the
 * input data. Warm start is not recursive: only a parent's own training jobs count. Parents' jobs
 * count against the training job quota together with the new job's.
 */
import { ValidationException } from '../../../protocol/errors.js';
import type { ResourceRecord } from '../../../resources/kinds.js';
import { encodePoint, searchSpace, type Dimension } from '../../../resources/search-space.js';
import { TUNING_TERMINAL, objectiveValue, type TrainingJobDefinitionDoc, type TrainingJobSummaryDoc, type TuningObjective, type TuningPrior } from '../../../resources/tuning-job.js';
import type { SageMakerDeps } from '../deps.js';
import { ResourceLimitExceeded } from '../errors.js';

const MAX_PARENTS = 5;
const MAX_CHANGES = 10;
const OBJECTIVE_KEY = '_tuning_objective_metric';

export interface WarmStartInput {
  ParentHyperParameterTuningJobs?: { HyperParameterTuningJobName?: string }[];
  WarmStartType?: string;
}

export interface WarmStartSeed {
  priors: TuningPrior[];
  parentBest?: TrainingJobSummaryDoc[];
}

interface Parent {
  rec: ResourceRecord<'hyper-parameter-tuning-job'>;
}

/** The parent tuning jobs (store reads, with parentValues below the only ones of a warm start). */
async function readParents(deps: SageMakerDeps, names: string[]): Promise<Parent[]> {
  const parents: Parent[] = [];
  for (const name of names) {
    const rec = await deps.resources.get('hyper-parameter-tuning-job', name);
    if (!rec) throw new ValidationException(`The parent hyperparameter tuning job ${name} does not exist.`);
    parents.push({ rec });
  }
  return parents;
}

/**
 * Each parent child's final objective value: kept on the child once it ended (the controller
 * writes it), read from its training job only for parents recorded before that was kept.
 */
function parentValues(deps: SageMakerDeps, p: Parent, metric: string): Promise<(number | undefined)[]> {
  return Promise.all(
    p.rec.internal.children.map(async (c) => {
      if (c.finalObjective !== undefined) return c.finalObjective ?? undefined;
      const job = (await deps.resources.get('training-job', c.name))?.doc;
      return job ? objectiveValue(job, metric) : undefined;
    }),
  );
}

/** JSON with object keys sorted, so the same channels compare equal in any member order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function statics(def: TrainingJobDefinitionDoc): Record<string, string> {
  const { [OBJECTIVE_KEY]: _o, ...rest } = def.StaticHyperParameters ?? {};
  return rest;
}

/** The changes the guide counts between a parent and the new job (see the module header). */
function changesFrom(parentDims: Dimension[], parentStatic: Record<string, string>, childStatic: Record<string, string>): number {
  let n = 0;
  for (const d of parentDims) {
    if (childStatic[d.name] !== undefined) n += d.kind === 'Categorical' ? d.values.length : 1;
  }
  for (const [k, v] of Object.entries(parentStatic)) {
    if (childStatic[k] !== undefined && childStatic[k] !== v) n += 2;
  }
  return n;
}

function checkParent(p: Parent, type: string, def: TrainingJobDefinitionDoc, dims: Dimension[], objective: TuningObjective): void {
  const name = p.rec.name;
  if (!TUNING_TERMINAL.includes(p.rec.status)) {
    throw new ValidationException(`The parent hyperparameter tuning job ${name} is ${p.rec.status}; a warm start parent must be Completed, Stopped or Failed.`);
  }
  const parentObjective = p.rec.doc.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
  if (parentObjective?.MetricName !== objective.MetricName || parentObjective.Type !== objective.Type) {
    throw new ValidationException(
      `The objective metric (${objective.Type} ${objective.MetricName}) must be the same as the parent hyperparameter tuning job ${name}'s (${parentObjective?.Type} ${parentObjective?.MetricName}).`,
    );
  }
  const parentDef = p.rec.doc.TrainingJobDefinition;
  const parentDims = searchSpace(p.rec.doc.HyperParameterTuningJobConfig.ParameterRanges).dims;
  const parentStatic = statics(parentDef);
  const childStatic = statics(def);
  const parentTotal = parentDims.length + Object.keys(parentStatic).filter((k) => !parentDims.some((d) => d.name === k)).length;
  const childTotal = dims.length + Object.keys(childStatic).filter((k) => !dims.some((d) => d.name === k)).length;
  if (parentTotal !== childTotal) {
    throw new ValidationException(`The number of static plus tunable hyperparameters (${childTotal}) must be the same as in the parent hyperparameter tuning job ${name} (${parentTotal}).`);
  }
  for (const d of dims) {
    const before = parentDims.find((x) => x.name === d.name);
    if (before && before.kind !== d.kind) throw new ValidationException(`Hyperparameter ${d.name} is ${d.kind} but ${before.kind} in the parent hyperparameter tuning job ${name}; its type cannot change.`);
  }
  const changes = changesFrom(parentDims, parentStatic, childStatic);
  if (changes > MAX_CHANGES) {
    throw new ValidationException(`The tunable-to-static and static value changes from the parent hyperparameter tuning job ${name} count ${changes}; at most ${MAX_CHANGES} are allowed.`);
  }
  if (type === 'IdenticalDataAndAlgorithm') {
    const image = (d: TrainingJobDefinitionDoc) => d.AlgorithmSpecification.TrainingImage ?? d.AlgorithmSpecification.AlgorithmName;
    if (image(parentDef) !== image(def)) {
      throw new ValidationException(`WarmStartType IdenticalDataAndAlgorithm needs the training image of the parent hyperparameter tuning job ${name} (${String(image(parentDef))}); use TransferLearning for another one.`);
    }
    if (canonical(parentDef.InputDataConfig ?? []) !== canonical(def.InputDataConfig ?? [])) {
      throw new ValidationException(`WarmStartType IdenticalDataAndAlgorithm needs the InputDataConfig of the parent hyperparameter tuning job ${name}; use TransferLearning for other data.`);
    }
  }
}

/**
 * Checks WarmStartConfig against the new job (its stored definition, search space, objective and
 * job limit) and returns the parents' results for the controller.
 */
export async function warmStart(deps: SageMakerDeps, ws: WarmStartInput, def: TrainingJobDefinitionDoc, dims: Dimension[], objective: TuningObjective, maxJobs: number, quota: number): Promise<WarmStartSeed> {
  const names = (ws.ParentHyperParameterTuningJobs ?? []).map((p) => p.HyperParameterTuningJobName ?? '');
  if (names.length < 1 || names.length > MAX_PARENTS) throw new ValidationException(`WarmStartConfig.ParentHyperParameterTuningJobs takes 1 to ${MAX_PARENTS} tuning jobs; ${names.length} were given.`);
  if (new Set(names).size !== names.length) throw new ValidationException('WarmStartConfig.ParentHyperParameterTuningJobs names a tuning job more than once.');
  const type = ws.WarmStartType ?? '';
  if (type !== 'IdenticalDataAndAlgorithm' && type !== 'TransferLearning') throw new ValidationException(`WarmStartConfig.WarmStartType must be IdenticalDataAndAlgorithm or TransferLearning, not ${type}.`);
  const parents = await readParents(deps, names);
  for (const p of parents) checkParent(p, type, def, dims, objective);
  const parentJobs = parents.reduce((n, p) => n + p.rec.internal.children.length, 0);
  if (parentJobs + maxJobs > quota) {
    throw new ResourceLimitExceeded(`The parent tuning jobs' ${parentJobs} training jobs and this job's MaxNumberOfTrainingJobs (${maxJobs}) exceed the ${quota} training jobs a tuning job may count.`);
  }
  const priors: TuningPrior[] = [];
  for (const p of parents) {
    const parentStatic = statics(p.rec.doc.TrainingJobDefinition);
    const values = await parentValues(deps, p, objective.MetricName);
    p.rec.internal.children.forEach((c, i) => {
      const value = values[i];
      const point = value === undefined ? undefined : encodePoint(dims, { ...parentStatic, ...c.tuned });
      if (point && value !== undefined) priors.push({ point, value });
    });
  }
  if (type !== 'IdenticalDataAndAlgorithm') return { priors };
  // A parent has ended, so its BestTrainingJob is final.
  const parentBest = parents.flatMap((p) => (p.rec.doc.BestTrainingJob ? [p.rec.doc.BestTrainingJob] : []));
  return { priors, parentBest };
}
