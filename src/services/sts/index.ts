/**
 * @module services/sts — the one STS call SageMaker code makes on its way in:
 * `sts.get_caller_identity()` (the SageMaker Python SDK and many notebooks read the account id from
 * it to build role ARNs and default bucket names). Answered over the query protocol, as STS speaks it,
 * with the account Slipway acts as (SLIPWAY_ACCOUNT_ID) and the caller's access key.
 */
import type { OperationTable } from '../../protocol/operation-table.js';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function stsOperations(): OperationTable {
  return {
    GetCallerIdentity: (ctx) => ({
      UserId: ctx.accessKeyId ?? 'slipway',
      Account: ctx.accountId,
      Arn: `arn:aws:iam::${ctx.accountId}:root`,
    }),
  };
}
