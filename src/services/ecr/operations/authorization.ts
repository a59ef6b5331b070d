/**
 * @module services/ecr/operations/authorization — GetAuthorizationToken: `base64("AWS:" + password)`
 * valid for 12 hours, for `docker login -u AWS` (what `aws ecr get-login-password` prints is the
 * password part). The proxy endpoint is ECR's host name for the caller's region, as the real
 * service answers; it reaches Slipway once the host-name opt-in is on (docs/ecr.md).
 */
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations } from '../generated/types.js';
import type { EcrDeps } from '../deps.js';
import { registryHost } from '../names.js';

export function authorizationOperations(deps: EcrDeps): OperationHandlers<Operations> {
  const now = deps.now ?? Date.now;
  return {
    GetAuthorizationToken: (ctx, input) => {
      const { password, expiresAt } = deps.tokens.issue(ctx.accessKeyId, now());
      const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64');
      const ids = input.registryIds ?? [deps.accountId];
      return {
        authorizationData: ids.map((id) => ({
          authorizationToken,
          expiresAt: new Date(expiresAt),
          proxyEndpoint: `https://${registryHost(id, ctx.region)}`,
        })),
      };
    },
  };
}
