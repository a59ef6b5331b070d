/** @module resources/model — a SageMaker model as stored: the CreateModel request echoed (DescribeModel), and the one container it runs. */

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

/** The one container a model runs (PrimaryContainer or a one-element Containers). */
export function primaryContainer(model: ModelDoc): ContainerDefinitionDoc | undefined {
  return model.PrimaryContainer ?? model.Containers?.[0];
}
