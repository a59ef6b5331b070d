/**
 * @module protocol/query/query-surface — the AWS query protocol (form-encoded `Action=...`,
 * XML responses), as older CloudWatch clients send it. Input keys like
 * `Dimensions.member.1.Name` become nested objects and lists; output objects become elements,
 * lists `<member>` items, dates ISO 8601.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import { asServiceError, ServiceError, UnknownOperationException } from '../errors.js';
import { escapeXml } from '../escape-xml.js';
import type { OperationTable } from '../operation-table.js';
import { readBody } from '../read-body.js';
import { validatedInput, type InputValidator } from '../validation/input-validator.js';
import type { Surface } from '../surface.js';
import { logger } from '../../platform/logger.js';
import { parseQuery, queryText } from './query-params.js';

export interface QueryOptions {
  operations: OperationTable;
  xmlNamespace: string;
  /** Members that arrive as strings but are numbers or timestamps in the model (when there is no `validate`). */
  numericMembers: ReadonlySet<string>;
  /** The service's model validation (typing the strings by the model); handlers get its value. */
  validate?: InputValidator;
  /** Output members that are maps in the model: `<entry><key>k</key><value>v</value></entry>`. */
  mapMembers?: ReadonlySet<string>;
}

function coerce(v: unknown, numeric: ReadonlySet<string>, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => coerce(x, numeric, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, coerce(x, numeric, k)]));
  if (typeof v === 'string' && numeric.has(key) && v !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

export function toXml(name: string, value: unknown, maps: ReadonlySet<string> = NO_MAPS): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((x) => toXml('member', x, maps)).join('')}</${name}>`;
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    if (maps.has(name)) {
      return `<${name}>${Object.entries(value).map(([k, x]) => `<entry><key>${escapeXml(k)}</key>${toXml('value', x, maps)}</entry>`).join('')}</${name}>`;
    }
    return `<${name}>${Object.entries(value).map(([k, x]) => toXml(k, x, maps)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const NO_MAPS: ReadonlySet<string> = new Set();

function sendXml(res: ServerResponse, ctx: RequestContext, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': ctx.requestId });
  res.end(body);
}

/**
 * Writes a ServiceError as the query protocol does: `<ErrorResponse><Error><Type>Sender|Receiver</Type>
 * <Code/><Message/></Error><RequestId/></ErrorResponse>`; an unknown Action is `InvalidAction`.
 */
export function renderError(res: ServerResponse, ctx: RequestContext, err: ServiceError, xmlNamespace: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code = err instanceof UnknownOperationException ? 'InvalidAction' : err.code;
  sendXml(
    res,
    ctx,
    err.statusCode,
    `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>${err.fault === 'client' ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`,
  );
}

export function createQuerySurface(opts: QueryOptions): Surface {
  const handle: Surface['handle'] = async (req, res, ctx, url) => {
    try {
      const raw = req.method === 'POST' ? queryText(await readBody(req, 1024 * 1024)) : '';
      const { action, input } = parseQuery(raw || url.search.slice(1));
      const handler = Object.hasOwn(opts.operations, action) ? opts.operations[action] : undefined;
      if (!handler) throw new UnknownOperationException(action || '(no Action)');
      ctx.operation = action;
      const typed = opts.validate ? validatedInput(opts.validate, action, input) : coerce(input, opts.numericMembers);
      const output = await handler(ctx, typed);
      sendXml(
        res,
        ctx,
        200,
        `<${action}Response xmlns="${opts.xmlNamespace}">${toXml(`${action}Result`, output ?? {}, opts.mapMembers)}<ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (err) {
      if (!(err instanceof ServiceError)) logger.error({ err, requestId: ctx.requestId }, 'unhandled error in query handler');
      renderError(res, ctx, asServiceError(err), opts.xmlNamespace);
    }
  };
  return { handle, renderError: (res, ctx, err) => renderError(res, ctx, err, opts.xmlNamespace) };
}
