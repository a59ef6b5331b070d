/** @module server/routes/prometheus — `GET /_slipway/metrics` in Prometheus text format. */
import type { Metrics } from '../../metrics/metrics.js';
import type { SurfaceHandler } from '../../protocol/surface.js';

export function createPrometheusRoute(metrics: Metrics): SurfaceHandler {
  return async (_req, res) => {
    const { contentType, body } = await metrics.prometheusText();
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
}
