/**
 * @module services/ecr/errors — ECR's modelled errors, worded as the real service words them
 * (messages as seen in AWS CLI output quoted in public issues, e.g. jenkins-x/jx#1344,
 * awslabs/ecr-cleanup-lambda#11). `InvalidParameterException` is also CloudWatch Logs' code, whose
 * class owns it (codes are unique per class), so ECR builds it with `invalidParameter`.
 */
import { ServiceError } from '../../protocol/errors.js';

export class RepositoryNotFoundException extends ServiceError {
  constructor(name: string, registryId: string) {
    super('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${registryId}'`, 400);
  }
}

export class RepositoryAlreadyExistsException extends ServiceError {
  constructor(name: string, registryId: string) {
    super('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${registryId}'`, 400);
  }
}

export class RepositoryNotEmptyException extends ServiceError {
  constructor(name: string, registryId: string) {
    super(
      'RepositoryNotEmptyException',
      `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
      400,
    );
  }
}

export class ImageNotFoundException extends ServiceError {
  constructor(id: { imageDigest?: string; imageTag?: string }, name: string, registryId: string) {
    super(
      'ImageNotFoundException',
      `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
      400,
    );
  }
}

export class TooManyTagsException extends ServiceError {
  constructor(message: string) {
    super('TooManyTagsException', message, 400);
  }
}

export class InvalidTagParameterException extends ServiceError {
  constructor(message: string) {
    super('InvalidTagParameterException', message, 400);
  }
}

/** ECR's code for bad parameters: `Invalid parameter at 'member' failed to satisfy constraint: '…'`. */
export function invalidParameter(message: string): ServiceError {
  return new ServiceError('InvalidParameterException', message, 400);
}

export function invalidParameterAt(member: string, constraint: string): ServiceError {
  return invalidParameter(`Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`);
}
