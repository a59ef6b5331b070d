/**
 * @module services/iam/default-role — the execution role every Slipway has, so that code which
 * looks its role up (the SageMaker Python SDK's `get_execution_role()`, MLflow's SageMaker
 * deployment: STS GetCallerIdentity, then IAM GetRole) finds one. STS answers as this role
 * assumed (services/sts). Created on start when missing, trusting SageMaker, with
 * AmazonSageMakerFullAccess attached as the SageMaker console's default role has.
 */
import { logger } from '../../platform/logger.js';
import { createRole } from './roles.js';
import type { IamDeps } from './shared.js';

export const DEFAULT_ROLE_NAME = 'SlipwayExecutionRole';

const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const POLICY = 'arn:aws:iam::aws:policy/AmazonSageMakerFullAccess';

/**
 * Creates the default role unless a role of that name exists (whatever it looks like then). A
 * refusal (the account's role quota is full) is logged, never fatal: the server still starts.
 */
export async function ensureDefaultRole(deps: IamDeps): Promise<void> {
  if (await deps.iam.getRole(DEFAULT_ROLE_NAME)) return;
  try {
    await createRole(deps, {
      RoleName: DEFAULT_ROLE_NAME,
      AssumeRolePolicyDocument: TRUST_POLICY,
      Description: "Slipway's default SageMaker execution role",
    });
    await deps.iam.attachRolePolicy(DEFAULT_ROLE_NAME, POLICY);
    logger.info({ role: DEFAULT_ROLE_NAME }, 'created the default execution role');
  } catch (err) {
    logger.warn({ err, role: DEFAULT_ROLE_NAME }, 'could not create the default execution role');
  }
}
