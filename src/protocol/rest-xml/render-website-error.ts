/**
 * @module protocol/rest-xml/render-website-error — errors as S3's website endpoints write them: an
 * HTML page listing Code, Message, the resource and the ids, not an XML document.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/CustomErrorDocSupport.html
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { asServiceError, type ServiceError } from '../errors.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function items(e: ServiceError, ids: { requestId: string; hostId: string }): string {
  const lines = [`Code: ${e.code}`, `Message: ${e.message}`];
  for (const [k, v] of Object.entries(e.extra)) if (v !== undefined && v !== null) lines.push(`${k}: ${String(v)}`);
  lines.push(`RequestId: ${ids.requestId}`, `HostId: ${ids.hostId}`);
  return lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('\n');
}

/** The page for `err`; `documentError` adds S3's second section when the custom error document failed too. */
export function websiteErrorPage(err: unknown, ids: { requestId: string; hostId: string }, documentError?: unknown): { status: number; html: string } {
  const e = asServiceError(err);
  const title = `${e.statusCode} ${STATUS_CODES[e.statusCode] ?? ''}`.trim();
  let html = `<html>\n<head><title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n<ul>\n${items(e, ids)}\n</ul>\n`;
  if (documentError !== undefined) {
    const d = asServiceError(documentError);
    html += `<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n${items(d, ids)}\n</ul>\n`;
  }
  html += '<hr/>\n</body>\n</html>\n';
  return { status: e.statusCode, html };
}

export function sendWebsiteError(
  res: ServerResponse,
  err: unknown,
  opts: { requestId: string; hostId: string; head: boolean; documentError?: unknown },
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, html } = websiteErrorPage(err, opts, opts.documentError);
  const e = asServiceError(err);
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(html));
  res.end(opts.head ? undefined : html);
}
