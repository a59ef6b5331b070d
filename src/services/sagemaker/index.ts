/** @module services/sagemaker — the SageMaker operation table: operation name → handler. */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { SageMakerOperations } from './operation-types.js';
import type { SageMakerDeps } from './deps.js';
import { endpointConfigOperations } from './operations/endpoint-configs.js';
import { endpointOperations } from './operations/endpoints.js';
import { modelOperations } from './operations/models.js';
import { modelPackageOperations } from './operations/model-packages.js';
import { processingJobOperations } from './operations/processing-jobs.js';
import { tagOperations } from './operations/tags.js';
import { trainingJobOperations } from './operations/training-jobs.js';
import { transformJobOperations } from './operations/transform-jobs.js';
import { tuningJobOperations } from './operations/tuning-jobs.js';
import { pipelineOperations } from './operations/pipelines.js';
import { pipelineExecutionOperations } from './operations/pipeline-executions.js';

export { trainingJobLauncher } from './operations/tuning-jobs.js';
export { apiLauncher } from './api-launcher.js';

export function sageMakerOperations(deps: SageMakerDeps): OperationTable {
  return operationTable<SageMakerOperations>({
    ...trainingJobOperations(deps),
    ...processingJobOperations(deps),
    ...transformJobOperations(deps),
    ...tuningJobOperations(deps),
    ...modelOperations(deps),
    ...modelPackageOperations(deps),
    ...endpointConfigOperations(deps),
    ...endpointOperations(deps),
    ...tagOperations(deps),
    ...pipelineOperations(deps),
    ...pipelineExecutionOperations(deps),
  });
}
