/**
 * @module server/client-error — answers requests that Node's HTTP parser refuses before any surface
 * sees them (a garbage Content-Length, Content-Length with Transfer-Encoding, oversized headers,
 * a malformed request line) with a typed error in the format of the surface the request was for,
 * instead of Node's bare `400 Bad Request`.
 *
 * Node hands the 'clientError' listener the socket and the bytes it was parsing (`rawPacket`); the
 * request line and headers in them tell the surface apart the way the router does (path, then
 * X-Amz-Target, S3 otherwise). The connection is closed after the answer: the parser cannot
 * continue on it.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';

type Family = 'runtime' | 'json' | 's3';

interface Classified {
  family: Family;
  /** The X-Amz-Target prefix for JSON requests (picks the service's error code and JSON version). */
  target?: string;
}

const RUNTIME_PATH = /^\/endpoints\/[^/?\s]+\/(invocations|invocations-response-stream|async-invocations)(\?|$)/;

/** Reads the request line and headers from what the parser had (best effort: they may be cut). */
export function classifyRawRequest(raw: Buffer | undefined): Classified {
  if (!raw || raw.length === 0) return { family: 's3' };
  const head = raw.subarray(0, 16 * 1024).toString('latin1');
  const lines = head.split('\r\n');
  const path = lines[0]?.split(' ')[1] ?? '';
  if (RUNTIME_PATH.test(path)) return { family: 'runtime' };
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'x-amz-target') {
      const target = line.slice(colon + 1).trim();
      return { family: 'json', target: target.slice(0, target.indexOf('.') >>> 0) };
    }
  }
  return { family: 's3' };
}

interface Answer {
  status: number;
  code: string;
  message: string;
}

function describe(err: NodeJS.ErrnoException & { reason?: string }, c: Classified): Answer {
  const code = err.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') {
    const message = 'The request headers are too large.';
    if (c.family === 's3') return { status: 400, code: 'RequestHeaderSectionTooLarge', message };
    return { status: 431, code: errorCode(c, 'RequestHeaderFieldsTooLarge'), message };
  }
  const message =
    code === 'HPE_INVALID_CONTENT_LENGTH'
      ? 'The Content-Length header is not a valid number of bytes.'
      : code === 'HPE_UNEXPECTED_CONTENT_LENGTH'
        ? 'A request may not carry both Content-Length and Transfer-Encoding.'
        : `The request is not valid HTTP/1.1${err.reason ? ` (${err.reason})` : ''}.`;
  return { status: 400, code: errorCode(c, 'BadRequest'), message };
}

/** Each service's code for a malformed request (the runtime's and S3's as modelled; JSON per service). */
function errorCode(c: Classified, fallback: string): string {
  if (c.family === 'runtime') return 'ValidationError';
  if (c.family === 's3') return 'InvalidArgument';
  switch (c.target) {
    case 'SageMaker':
      return 'ValidationException';
    case 'Logs_20140328':
      return 'InvalidParameterException';
    case 'GraniteServiceVersion20100801':
      return 'InvalidParameterValue';
    default:
      return fallback;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The bytes of the answer: status line, headers, body; always `Connection: close`. */
export function renderClientError(err: NodeJS.ErrnoException, raw: Buffer | undefined, requestId: string = randomUUID()): string {
  const c = classifyRawRequest(raw);
  const a = describe(err, c);
  let contentType: string;
  let body: string;
  const extra: string[] = [];
  if (c.family === 's3') {
    contentType = 'application/xml';
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${a.code}</Code><Message>${xmlEscape(a.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
    extra.push(`x-amz-request-id: ${requestId}`);
  } else {
    contentType = c.family === 'runtime' ? 'application/json' : c.target === 'GraniteServiceVersion20100801' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    body = JSON.stringify(c.family === 'runtime' ? { message: a.message, Message: a.message } : { __type: a.code, message: a.message });
    extra.push(`x-amzn-RequestId: ${requestId}`, `X-Amzn-ErrorType: ${a.code}`);
  }
  const reason = a.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  return (
    `HTTP/1.1 ${a.status} ${reason}\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra.join('\r\n')}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** The server's 'clientError' listener (with one registered, Node writes nothing itself). */
export function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  // headersTimeout (server/connection-guard.ts): headers did not arrive in time.
  const answer =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' : renderClientError(err, err.rawPacket);
  socket.end(answer, () => socket.destroy());
  setTimeout(() => socket.destroy(), 2_000).unref();
}
