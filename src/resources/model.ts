/**
 * @module resources/model — a SageMaker model as stored: the CreateModel request echoed
 * (DescribeModel), and what it runs: one container, or several (an inference pipeline).
 */
import { pipelineHostnames, PipelineMode, type PipelinePlan } from './inference-pipeline.js';

export interface ContainerDefinitionDoc {
  Image?: string;
  ModelDataUrl?: string;
  Environment?: Record<string, string>;
  Mode?: string;
  ContainerHostname?: string;
  [member: string]: unknown;
}

export interface ModelDoc {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer?: ContainerDefinitionDoc;
  Containers?: ContainerDefinitionDoc[];
  ExecutionRoleArn?: string;
  EnableNetworkIsolation?: boolean;
  CreationTime: number;
  [member: string]: unknown;
}

/** A model with two or more Containers: its pipeline as an endpoint runs it (resources/inference-pipeline.ts); undefined otherwise. */
export function modelPipeline(model: ModelDoc): PipelinePlan | undefined {
  const cs = model.Containers;
  if (!cs || cs.length < 2) return undefined;
  const hostnames = pipelineHostnames(cs);
  const mode = (model.InferenceExecutionConfig as { Mode?: string } | undefined)?.Mode === PipelineMode.Direct ? PipelineMode.Direct : PipelineMode.Serial;
  return {
    mode,
    containers: cs.map((c, i) => ({
      hostname: hostnames[i]!,
      image: c.Image ?? '',
      ...(c.ModelDataUrl ? { modelDataUrl: c.ModelDataUrl } : {}),
      environment: { ...(c.Environment ?? {}) },
    })),
  };
}

/** The one container a model runs (PrimaryContainer or a one-element Containers). */
export function primaryContainer(model: ModelDoc): ContainerDefinitionDoc | undefined {
  return model.PrimaryContainer ?? model.Containers?.[0];
}
