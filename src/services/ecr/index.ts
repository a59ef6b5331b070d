/**
 * @module services/ecr — the ECR operation table (JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.*`,
 * SigV4 service `ecr`). Operations of the model not listed here answer UnknownOperationException.
 * The registry itself (docker push/pull under /v2/) is src/registry.
 */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import type { EcrDeps } from './deps.js';
import { authorizationOperations } from './operations/authorization.js';
import { imageOperations } from './operations/images.js';
import { repositoryOperations } from './operations/repositories.js';
import { tagOperations } from './operations/tags.js';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';

export function ecrOperations(deps: EcrDeps): OperationTable {
  return operationTable<Operations>({
    ...repositoryOperations(deps),
    ...imageOperations(deps),
    ...authorizationOperations(deps),
    ...tagOperations(deps),
  });
}
