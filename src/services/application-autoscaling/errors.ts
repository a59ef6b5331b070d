/**
 * @module services/application-autoscaling/errors — Application Auto Scaling's modelled errors
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html#API_RegisterScalableTarget_Errors)
 * and the checks of its SageMaker-only scope: Slipway scales SageMaker endpoint variants
 * (`sagemaker:variant:DesiredInstanceCount`) and refuses every other namespace and dimension.
 */
import { ServiceError, ValidationException } from '../../protocol/errors.js';
import { SAGEMAKER_NAMESPACE, VARIANT_DIMENSION, parseVariantResourceId } from '../../resources/scalable-target.js';

export class ObjectNotFoundException extends ServiceError {
  constructor(message: string) {
    super('ObjectNotFoundException', message, 400);
  }
}

/**
 * The tag calls' errors. Their codes are also CloudWatch Logs' and ECR's, whose classes own them
 * (codes are unique per class), so these are built here with the ResourceName member AWS adds.
 */
export function resourceNotFound(arn: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', `No scalable target found for ResourceARN ${arn}`, 400, { extra: { ResourceName: arn } });
}

export function tooManyTags(arn: string, max: number): ServiceError {
  return new ServiceError('TooManyTagsException', `A scalable target can have at most ${max} tags.`, 400, { extra: { ResourceName: arn } });
}

export class InvalidNextTokenException extends ServiceError {
  constructor() {
    super('InvalidNextTokenException', 'Invalid token', 400);
  }
}

/** AWS's wording for a target that is not registered (as the CLI prints it). */
export function noScalableTarget(resourceId: string, dimension: string): ObjectNotFoundException {
  return new ObjectNotFoundException(
    `No scalable target registered for service namespace: ${SAGEMAKER_NAMESPACE}, resource ID: ${resourceId}, scalable dimension: ${dimension}`,
  );
}

export function noScalingPolicy(resourceId: string, dimension: string, policyName: string): ObjectNotFoundException {
  return new ObjectNotFoundException(
    `No scaling policy found for service namespace: ${SAGEMAKER_NAMESPACE}, resource ID: ${resourceId}, scalable dimension: ${dimension}, policy name: ${policyName}`,
  );
}

/** The namespace, resource id and dimension of a write; anything but a SageMaker variant is refused. */
export function checkVariantTarget(input: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }): { endpoint: string; variant: string } {
  if (input.ServiceNamespace !== SAGEMAKER_NAMESPACE) {
    throw new ValidationException(
      `Unsupported service namespace ${input.ServiceNamespace}: Slipway's Application Auto Scaling supports only SageMaker endpoint variants (ServiceNamespace 'sagemaker').`,
    );
  }
  if (input.ScalableDimension !== VARIANT_DIMENSION) {
    throw new ValidationException(
      `Unsupported scalable dimension ${input.ScalableDimension}: Slipway supports only '${VARIANT_DIMENSION}' for service namespace 'sagemaker'.`,
    );
  }
  const parsed = parseVariantResourceId(input.ResourceId);
  if (!parsed) {
    throw new ValidationException(
      `Unsupported resource ID ${input.ResourceId}: for ${VARIANT_DIMENSION} it must be endpoint/<endpoint-name>/variant/<variant-name>.`,
    );
  }
  return parsed;
}
