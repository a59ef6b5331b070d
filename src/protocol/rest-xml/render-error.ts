/**
 * @module protocol/rest-xml/render-error — writes a ServiceError as S3 does:
 * `<Error><Code/><Message/>…<Resource/><RequestId/><HostId/></Error>`, no body for HEAD.
 */
import type { ServerResponse } from 'node:http';
import { asServiceError } from '../errors.js';
import { escapeXml } from '../escape-xml.js';

export function renderError(
  res: ServerResponse,
  err: unknown,
  opts: { requestId: string; hostId: string; resource: string; head: boolean },
): void {
  const e = asServiceError(err);
  if (res.headersSent) {
    // Mid-body failure (e.g. a read error while streaming GET): the only honest signal left.
    res.destroy();
    return;
  }
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.statusCode = e.statusCode;
  if (opts.head) {
    res.removeHeader('content-type');
    res.setHeader('content-length', '0');
    res.end();
    return;
  }
  const extra = Object.entries(e.extra)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message>${extra}` +
    `<Resource>${escapeXml(opts.resource)}</Resource><RequestId>${escapeXml(opts.requestId)}</RequestId>` +
    `<HostId>${escapeXml(opts.hostId)}</HostId></Error>`;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
