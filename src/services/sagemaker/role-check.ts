/**
 * @module services/sagemaker/role-check — strict roles (SLIPWAY_STRICT_ROLES): a RoleArn /
 * ExecutionRoleArn must name an IAM role of this account that lets sagemaker.amazonaws.com assume
 * it, as SageMaker checks when it assumes the role. Off by default: ARNs are recorded, not checked.
 */
import { ValidationException } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import { roleTrust } from '../iam/role-trust.js';
import type { SageMakerDeps } from './deps.js';

const SERVICE = 'sagemaker.amazonaws.com';

/**
 * `job`: CreateTrainingJob / CreateProcessingJob wording, `model`: CreateModel / CreateEndpointConfig
 * wording, both as SageMaker answers them (observed: awslabs/predictive-maintenance-using-machine-learning#3,
 * bentoml/BentoML#892).
 */
export async function checkRoleArn(deps: SageMakerDeps, ctx: Pick<RequestContext, 'accountId'>, arn: string | undefined, wording: 'job' | 'model'): Promise<void> {
  if (!deps.config.strictRoles || arn === undefined || !deps.iam) return;
  if (await roleTrust(deps.iam, ctx.accountId, arn, SERVICE) === 'trusted') return;
  throw new ValidationException(
    wording === 'job'
      ? `Could not assume role ${arn}. Please ensure that the role exists and allows principal '${SERVICE}' to assume the role.`
      : `The execution role ARN "${arn}" is invalid. Please ensure that the role exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service principal "${SERVICE}".`,
  );
}
