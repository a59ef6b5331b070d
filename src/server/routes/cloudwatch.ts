/** @module server/routes/cloudwatch — picks CloudWatch's wire protocol for a request (RPC v2 CBOR path, JSON 1.0 target, else query), for handling and for errors alike. */
import { createJson11Surface } from '../../protocol/json11/json11-surface.js';
import { createQuerySurface } from '../../protocol/query/query-surface.js';
import { createRpcV2CborSurface } from '../../protocol/rpcv2-cbor/rpcv2-cbor-surface.js';
import type { MetricStore } from '../../metrics/metric-store.js';
import {
  CLOUDWATCH_MAP_MEMBERS,
  CLOUDWATCH_NUMERIC_MEMBERS,
  CLOUDWATCH_SERVICE,
  CLOUDWATCH_XMLNS,
  cloudWatchOperations,
} from '../../services/cloudwatch/index.js';
import { validateCloudWatchInput, validateCloudWatchQueryInput } from '../../services/cloudwatch/validation.js';
import type { Surface } from '../../protocol/surface.js';

export function createCloudWatchSurface(metrics: MetricStore): Surface {
  const operations = cloudWatchOperations({ metrics });
  // One model validation, three encodings (query values arrive as strings and are typed by the model).
  const cbor = createRpcV2CborSurface({ serviceName: CLOUDWATCH_SERVICE, operations, validate: validateCloudWatchInput });
  const json = createJson11Surface({ targetPrefix: CLOUDWATCH_SERVICE, operations, jsonVersion: '1.0', validate: validateCloudWatchInput });
  const query = createQuerySurface({
    operations,
    xmlNamespace: CLOUDWATCH_XMLNS,
    numericMembers: CLOUDWATCH_NUMERIC_MEMBERS,
    mapMembers: CLOUDWATCH_MAP_MEMBERS,
    validate: validateCloudWatchQueryInput,
  });
  const pick = (req: { headers: Record<string, unknown> }, url: URL): Surface =>
    url.pathname.startsWith('/service/') ? cbor : req.headers['x-amz-target'] ? json : query;
  return {
    handle: (req, res, ctx, url) => pick(req, url).handle(req, res, ctx, url),
    renderError: (res, ctx, err, req, url) => pick(req, url).renderError(res, ctx, err, req, url),
  };
}
