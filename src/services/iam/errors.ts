/**
 * @module services/iam/errors — IAM's modelled errors, with the codes and HTTP statuses of the
 * official model (shared/aws-models/iam: NoSuchEntityException is code `NoSuchEntity`, 404; ...).
 */
import { ServiceError } from '../../protocol/errors.js';

export class NoSuchEntity extends ServiceError {
  constructor(message: string) {
    super('NoSuchEntity', message, 404);
  }
}

export class EntityAlreadyExists extends ServiceError {
  constructor(message: string) {
    super('EntityAlreadyExists', message, 409);
  }
}

export class DeleteConflict extends ServiceError {
  constructor(message: string) {
    super('DeleteConflict', message, 409);
  }
}

export class MalformedPolicyDocument extends ServiceError {
  constructor(message: string) {
    super('MalformedPolicyDocument', message, 400);
  }
}

export class InvalidInput extends ServiceError {
  constructor(message: string) {
    super('InvalidInput', message, 400);
  }
}

export class LimitExceeded extends ServiceError {
  constructor(message: string) {
    super('LimitExceeded', message, 409);
  }
}

/** `The role with name X cannot be found.` — IAM's wording for every role-scoped call. */
export const noSuchRole = (name: string) => new NoSuchEntity(`The role with name ${name} cannot be found.`);
