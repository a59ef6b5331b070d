/**
 * @module resources/inference-pipeline — a model with several `Containers` (an inference pipeline
 * or multi-container endpoint, contract §4.5) as Slipway plans and routes it: the checks
 * CreateModel makes, each container's hostname and port, and which container a request goes to.
 * Pure (inference-pipeline.test.ts).
 *
 * https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipelines.html
 * https://docs.aws.amazon.com/sagemaker/latest/dg/multi-container-endpoints.html
 */

export const PipelineMode = { Serial: 'Serial', Direct: 'Direct' } as const;
export type PipelineMode = (typeof PipelineMode)[keyof typeof PipelineMode];

/** "Currently there is a limit of up to 15 containers" (multi-container-create.html); the API model's list max too. */
export const MAX_PIPELINE_CONTAINERS = 15;

/** Image label of containers that listen on SAGEMAKER_BIND_TO_PORT (inference-pipeline-real-time.html). */
export const BIND_TO_PORT_LABEL = 'com.amazonaws.sagemaker.capabilities.accept-bind-to-port';

/** One container of a pipeline as an endpoint runs it. */
export interface PipelineContainerPlan {
  hostname: string;
  image: string;
  modelDataUrl?: string;
  environment: Record<string, string>;
}

/** What a variant of a pipeline model runs (resources/endpoint.ts VariantPlan.pipeline). */
export interface PipelinePlan {
  mode: PipelineMode;
  containers: PipelineContainerPlan[];
}

interface ContainerLike {
  ContainerHostname?: string;
  Mode?: string;
}

/**
 * Why CreateModel refuses these `Containers` with this InferenceExecutionConfig.Mode, or undefined.
 * Rules from the ContainerDefinition reference ("If you specify a value for the ContainerHostName
 * for any ContainerDefinition that is part of an inference pipeline, you must specify a value for
 * the ContainerHostName parameter of every ContainerDefinition") and multi-container-create.html
 * ("The ContainerHostname parameter is required for each container in a multi-container endpoint
 * with direct invocation"). Hostnames identify containers in logs and routing, so they are unique
 * (case-insensitively, as DNS names are). A multi-model container cannot be one stage of several.
 */
export function pipelineProblem(containers: readonly ContainerLike[], mode: string | undefined): string | undefined {
  if (containers.length > MAX_PIPELINE_CONTAINERS) return `A model can have at most ${MAX_PIPELINE_CONTAINERS} Containers; ${containers.length} were given.`;
  if (mode !== undefined && mode !== PipelineMode.Serial && mode !== PipelineMode.Direct) {
    return `InferenceExecutionConfig.Mode ${mode} is not valid: use Serial or Direct.`;
  }
  if (containers.length < 2) return undefined;
  const named = containers.filter((c) => c.ContainerHostname !== undefined && c.ContainerHostname !== '');
  if (mode === PipelineMode.Direct && named.length < containers.length) {
    return 'ContainerHostname is required for every container of a model with InferenceExecutionConfig Mode Direct.';
  }
  if (named.length > 0 && named.length < containers.length) {
    return 'ContainerHostname must be given for every container of an inference pipeline, or for none.';
  }
  const seen = new Set<string>();
  for (const c of named) {
    const h = c.ContainerHostname!.toLowerCase();
    if (seen.has(h)) return `ContainerHostname ${c.ContainerHostname} is used by more than one container; each container needs its own.`;
    seen.add(h);
  }
  if (containers.some((c) => c.Mode === 'MultiModel')) return 'A container with Mode MultiModel cannot be part of a model with several Containers.';
  return undefined;
}

/** Hostnames of a pipeline's containers: the given ones, else `container-1..N` (contract §4.5, logging-cloudwatch.html). */
export function pipelineHostnames(containers: readonly ContainerLike[]): string[] {
  return containers.map((c, i) => (c.ContainerHostname ? c.ContainerHostname : `container-${i + 1}`));
}

/**
 * The port container `index` listens on and the environment that tells it so. Each container has
 * its own network namespace here, so an image without the accept-bind-to-port label keeps 8080
 * and gets no variables, as the docs allow ("If this environment variable isn't present,
 * containers default to using port 8080"). A labelled one gets its own SAGEMAKER_BIND_TO_PORT and
 * SAGEMAKER_SAFE_PORT_RANGE ("XXXX-YYYY", inclusive) as on SageMaker, where the containers share a
 * host; the values are Slipway's (SageMaker does not document its own).
 */
export function pipelinePort(index: number, acceptsBindToPort: boolean): { port: number; env: Record<string, string> } {
  if (!acceptsBindToPort) return { port: 8080, env: {} };
  const port = 8080 + index;
  const low = 9000 + index * 100;
  return { port, env: { SAGEMAKER_BIND_TO_PORT: String(port), SAGEMAKER_SAFE_PORT_RANGE: `${low}-${low + 99}` } };
}

/** True for an image labelled accept-bind-to-port=true. */
export function acceptsBindToPort(labels: Record<string, string> | undefined): boolean {
  return (labels?.[BIND_TO_PORT_LABEL] ?? '').toLowerCase() === 'true';
}

/**
 * Which containers a request goes through, by InvokeEndpoint's TargetContainerHostname
 * (multi-container-direct.html: a validation error for a hostname the endpoint lacks, for none on
 * a Direct endpoint, and for one on an endpoint not configured for direct invocation).
 * `mode` undefined: a one-container model.
 */
export function pipelineStages(mode: PipelineMode | undefined, hostnames: readonly string[], target: string | undefined): { stages: number[] } | { problem: string } {
  if (mode === PipelineMode.Direct) {
    if (target === undefined || target === '') return { problem: 'The endpoint is configured for direct invocation: give TargetContainerHostname (X-Amzn-SageMaker-Target-Container-Hostname) to name the container to invoke.' };
    const i = hostnames.indexOf(target);
    if (i < 0) return { problem: `TargetContainerHostname ${target} is not a container of this endpoint (it has ${hostnames.join(', ')}).` };
    return { stages: [i] };
  }
  if (target !== undefined) return { problem: 'TargetContainerHostname can only be given for an endpoint configured for direct invocation (InferenceExecutionConfig Mode Direct).' };
  return { stages: hostnames.map((_, i) => i) };
}
