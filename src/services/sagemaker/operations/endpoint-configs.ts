/** @module services/sagemaker/operations/endpoint-configs — placeholder until its issue lands. */
import type { OperationTable } from '../../../protocol/json11/json11-surface.js';
import type { SageMakerDeps } from '../deps.js';

export function endpointConfigOperations(_deps: SageMakerDeps): OperationTable {
  return {};
}
