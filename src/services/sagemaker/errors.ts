/**
 * @module services/sagemaker/errors — SageMaker's modelled errors and the real service's habits
 * (contract §1.3, §2.8): missing resources and taken model/config/endpoint names are
 * ValidationException; taken job names are ResourceInUse.
 */
import { ServiceError, ValidationException } from '../../protocol/errors.js';

export class ResourceInUse extends ServiceError {
  constructor(message: string) {
    super('ResourceInUse', message, 400);
  }
}

export class ResourceNotFound extends ServiceError {
  constructor(message: string) {
    super('ResourceNotFound', message, 400);
  }
}

export class ResourceLimitExceeded extends ServiceError {
  constructor(message: string) {
    super('ResourceLimitExceeded', message, 400);
  }
}

export class ConflictException extends ServiceError {
  constructor(message: string) {
    super('ConflictException', message, 400);
  }
}

/** DescribeTrainingJob on a missing job answers this (boto/boto3#2808). */
export function requestedResourceNotFound(): ValidationException {
  return new ValidationException('Requested resource not found.');
}

/** DeleteEndpoint/DescribeEndpoint on a missing endpoint: `Could not find endpoint "arn:..."`. */
export function couldNotFind(what: string, arn: string): ValidationException {
  return new ValidationException(`Could not find ${what} "${arn}".`);
}

/** Duplicate model/config/endpoint name: `Cannot create already existing endpoint "arn:..."`. */
export function cannotCreateExisting(what: string, arn: string): ValidationException {
  return new ValidationException(`Cannot create already existing ${what} "${arn}".`);
}
