/** @module services/logs/errors — CloudWatch Logs' modelled errors. */
import { ServiceError } from '../../protocol/errors.js';

export class ResourceNotFoundException extends ServiceError {
  constructor(message: string) {
    super('ResourceNotFoundException', message, 400);
  }
}

export class InvalidParameterException extends ServiceError {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }
}

export class ResourceAlreadyExistsException extends ServiceError {
  constructor(message: string) {
    super('ResourceAlreadyExistsException', message, 400);
  }
}

// Texts as the real service words them.
export const groupNotFound = () => new ResourceNotFoundException('The specified log group does not exist.');
export const streamNotFound = () => new ResourceNotFoundException('The specified log stream does not exist.');
