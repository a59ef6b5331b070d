/**
 * @module server/client-error — answers requests that Node's HTTP parser refuses before any surface
 * sees them (a garbage Content-Length, Content-Length with Transfer-Encoding, oversized headers,
 * a malformed request line) with a typed error in the format of the surface the request was for,
 * instead of Node's bare `400 Bad Request`.
 *
 * Node hands the 'clientError' listener the socket and the bytes it was parsing (`rawPacket`); the
 * request line and headers in them tell the surface apart in the router's order (credential scope,
 * then the CloudWatch CBOR path, X-Amz-Target, the runtime path, S3 otherwise). The connection is
 * closed after the answer: the parser cannot continue on it.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { encode } from 'cbor-x';
import { CLOUDWATCH_SERVICE, CLOUDWATCH_XMLNS } from '../services/cloudwatch/index.js';
import { STS_XMLNS } from '../services/sts/index.js';
import { IAM_XMLNS } from '../services/iam/validation.js';

type Family = 'runtime' | 'json' | 's3' | 'cbor' | 'query';

interface Classified {
  family: Family;
  /** The X-Amz-Target prefix for JSON requests (picks the service's error code and JSON version). */
  target?: string;
  /** The XML namespace of a query-protocol service (STS, CloudWatch). */
  xmlns?: string;
}

const RUNTIME_PATH = /^\/endpoints\/[^/?\s]+\/(invocations|invocations-response-stream|async-invocations)(\?|$)/;
const CREDENTIAL = /Credential=([^,\s&]+)/i;

/** The SigV4 service a request is signed for: the Authorization header's scope, else a presigned URL's. */
function signingService(authorization: string | undefined, path: string): string | undefined {
  const fromHeader = authorization?.startsWith('AWS4-HMAC-SHA256') ? CREDENTIAL.exec(authorization)?.[1] : undefined;
  const query = path.includes('?') ? new URLSearchParams(path.slice(path.indexOf('?') + 1)) : undefined;
  const credential = fromHeader ?? query?.get('X-Amz-Credential') ?? undefined;
  return credential?.split('/')[3];
}

/** Reads the request line and headers from what the parser had (best effort: they may be cut). */
export function classifyRawRequest(raw: Buffer | undefined): Classified {
  if (!raw || raw.length === 0) return { family: 's3' };
  const head = raw.subarray(0, 16 * 1024).toString('latin1');
  const lines = head.split('\r\n');
  const path = lines[0]?.split(' ')[1] ?? '';
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const service = signingService(headers.get('authorization'), path);
  const target = headers.get('x-amz-target');
  const json = (t: string): Classified => ({ family: 'json', target: t.slice(0, t.indexOf('.') >>> 0) });
  if (service === 's3') return { family: 's3' };
  if (service === 'sts') return { family: 'query', xmlns: STS_XMLNS };
  if (service === 'iam') return { family: 'query', xmlns: IAM_XMLNS };
  if (service === 'monitoring' || path.startsWith(`/service/${CLOUDWATCH_SERVICE}/`)) {
    if (path.startsWith('/service/')) return { family: 'cbor' };
    return target ? json(target) : { family: 'query', xmlns: CLOUDWATCH_XMLNS };
  }
  if (target) return json(target);
  if (RUNTIME_PATH.test(path)) return { family: 'runtime' };
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

/**
 * Each service's code for a malformed request (the runtime's and S3's as modelled; JSON per
 * service; CloudWatch and STS over query or CBOR: the query services' common InvalidParameterValue,
 * https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
 */
function errorCode(c: Classified, fallback: string): string {
  if (c.family === 'runtime') return 'ValidationError';
  if (c.family === 's3') return 'InvalidArgument';
  if (c.family === 'cbor' || c.family === 'query') return 'InvalidParameterValue';
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
export function renderClientError(err: NodeJS.ErrnoException, raw: Buffer | undefined, requestId: string = randomUUID()): Buffer {
  const c = classifyRawRequest(raw);
  const a = describe(err, c);
  let contentType: string;
  let body: Buffer;
  const extra: string[] = [];
  switch (c.family) {
    case 's3':
      contentType = 'application/xml';
      body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${a.code}</Code><Message>${xmlEscape(a.message)}</Message><RequestId>${requestId}</RequestId></Error>`);
      extra.push(`x-amz-request-id: ${requestId}`);
      break;
    case 'query':
      contentType = 'text/xml';
      body = Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${c.xmlns}"><Error><Type>Sender</Type><Code>${a.code}</Code><Message>${xmlEscape(a.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      extra.push(`x-amzn-RequestId: ${requestId}`);
      break;
    case 'cbor':
      contentType = 'application/cbor';
      body = Buffer.from(encode({ __type: a.code, message: a.message }));
      extra.push('smithy-protocol: rpc-v2-cbor', `x-amzn-RequestId: ${requestId}`, `x-amzn-query-error: ${a.code};Sender`);
      break;
    default:
      contentType = c.family === 'runtime' ? 'application/json' : c.target === CLOUDWATCH_SERVICE ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      body = Buffer.from(JSON.stringify(c.family === 'runtime' ? { message: a.message, Message: a.message } : { __type: a.code, message: a.message }));
      extra.push(`x-amzn-RequestId: ${requestId}`, `X-Amzn-ErrorType: ${a.code}`);
  }
  const reason = a.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const head = `HTTP/1.1 ${a.status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n${extra.join('\r\n')}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
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
