/**
 * @module services/sts — the one STS call SageMaker code makes on its way in:
 * `sts.get_caller_identity()`. The SageMaker Python SDK and many notebooks read the account id
 * from it (role ARNs, default bucket names), and `get_execution_role()` / MLflow turn an
 * assumed-role ARN into the execution role (then IAM GetRole). So every caller is answered as
 * Slipway's default execution role assumed, with a session named after its access key:
 * `arn:aws:sts::<account>:assumed-role/SlipwayExecutionRole/<access key>`
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import type { IamStore } from '../../storage/iam-store.js';
import { DEFAULT_ROLE_NAME } from '../iam/default-role.js';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Role session names: 2–64 of `[\w+=,.@-]` (AssumeRole's RoleSessionName). */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

function sessionName(accessKeyId: string | undefined): string {
  return accessKeyId !== undefined && SESSION_NAME.test(accessKeyId) ? accessKeyId : 'slipway';
}

export function stsOperations(deps: { iam: IamStore }): OperationTable {
  return operationTable<Operations>({
    GetCallerIdentity: async (ctx) => {
      const session = sessionName(ctx.accessKeyId);
      // The role may have been deleted since start (it is recreated on the next one).
      const role = await deps.iam.getRole(DEFAULT_ROLE_NAME);
      return {
        UserId: `${role?.roleId ?? 'AROASLIPWAYEXECUTION'}:${session}`,
        Account: ctx.accountId,
        Arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${role?.name ?? DEFAULT_ROLE_NAME}/${session}`,
      };
    },
  });
}
