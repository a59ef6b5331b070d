/**
 * @module test/integration/fuzz/error-format — what a typed error looks like on each wire protocol,
 * checked from the raw response. Each check returns the problems it sees ([] = well-formed).
 *
 *   json      (JSON 1.0/1.1)  4xx, x-amzn-RequestId, body {"__type","message"}, X-Amzn-ErrorType = __type
 *   cbor      (RPC v2 CBOR)   4xx, x-amzn-RequestId, smithy-protocol: rpc-v2-cbor, CBOR map {__type,message}
 *   query     (STS, CW query) 4xx, x-amzn-RequestId, <ErrorResponse><Error><Code/></Error><RequestId/>
 *   rest-xml  (S3)            4xx, x-amz-request-id, <Error><Code/><Message/><RequestId/></Error> (no body on HEAD)
 *   rest-json (Runtime)       4xx, x-amzn-RequestId, X-Amzn-ErrorType, JSON body with a message
 */
import { decode } from 'cbor-x';
import { XMLParser } from 'fast-xml-parser';
import type { WireResponse } from './wire.js';

export type Protocol = 'json' | 'cbor' | 'query' | 'rest-xml' | 'rest-json';

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

/** botocore's reading of a JSON error code: after the last `#`, before the first `:`. */
function bareCode(s: string): string {
  return s.slice(s.lastIndexOf('#') + 1).split(':')[0]!;
}

function requestIdHeader(protocol: Protocol): string {
  return protocol === 'rest-xml' ? 'x-amz-request-id' : 'x-amzn-requestid';
}

/** The error code a client would read, if the body is in the protocol's format. */
export function errorCode(protocol: Protocol, res: WireResponse): string | undefined {
  try {
    switch (protocol) {
      case 'json':
      case 'rest-json': {
        const header = res.headers['x-amzn-errortype'];
        if (header) return bareCode(header);
        const body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
        return typeof body.__type === 'string' ? bareCode(body.__type) : undefined;
      }
      case 'cbor': {
        const body = decode(res.body) as Record<string, unknown>;
        return typeof body.__type === 'string' ? bareCode(body.__type) : undefined;
      }
      case 'query': {
        const doc = xml.parse(res.body.toString('utf8')) as { ErrorResponse?: { Error?: { Code?: string } } };
        return doc.ErrorResponse?.Error?.Code;
      }
      case 'rest-xml': {
        const doc = xml.parse(res.body.toString('utf8')) as { Error?: { Code?: string } };
        return doc.Error?.Code;
      }
    }
  } catch {
    return undefined;
  }
}

/** Problems with a response that should be a typed client error. */
export function errorProblems(protocol: Protocol, res: WireResponse, opts: { head?: boolean } = {}): string[] {
  const problems: string[] = [];
  const rid = res.headers[requestIdHeader(protocol)];
  if (!rid) problems.push(`no ${requestIdHeader(protocol)} header`);
  const text = res.body.toString('utf8');
  switch (protocol) {
    case 'json':
    case 'rest-json': {
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        problems.push(`body is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
        break;
      }
      const header = res.headers['x-amzn-errortype'];
      if (!header) problems.push('no X-Amzn-ErrorType header');
      if (protocol === 'json') {
        if (typeof body.__type !== 'string') problems.push('no __type in the body');
        else if (header && bareCode(header) !== bareCode(body.__type)) problems.push(`X-Amzn-ErrorType ${header} disagrees with __type ${body.__type}`);
      }
      if (typeof body.message !== 'string' && typeof body.Message !== 'string') problems.push('no message in the body');
      break;
    }
    case 'cbor': {
      if (res.headers['smithy-protocol'] !== 'rpc-v2-cbor') problems.push('no smithy-protocol: rpc-v2-cbor header');
      let body: Record<string, unknown> | undefined;
      try {
        body = decode(res.body) as Record<string, unknown>;
      } catch {
        problems.push('body is not CBOR');
        break;
      }
      if (typeof body?.__type !== 'string') problems.push('no __type in the CBOR body');
      const q = res.headers['x-amzn-query-error'];
      if (q && typeof body?.__type === 'string' && q.split(';')[0] !== bareCode(body.__type)) problems.push(`x-amzn-query-error ${q} disagrees with __type ${body.__type}`);
      break;
    }
    case 'query': {
      let doc: { ErrorResponse?: { Error?: { Code?: string; Type?: string; Message?: string }; RequestId?: string } };
      try {
        doc = xml.parse(text) as typeof doc;
      } catch {
        problems.push(`body is not XML: ${JSON.stringify(text.slice(0, 120))}`);
        break;
      }
      const e = doc.ErrorResponse?.Error;
      if (!e?.Code) problems.push(`no <ErrorResponse><Error><Code>: ${JSON.stringify(text.slice(0, 160))}`);
      if (e && e.Type !== 'Sender') problems.push(`<Type> is ${e.Type}, not Sender`);
      if (!doc.ErrorResponse?.RequestId) problems.push('no <RequestId> in <ErrorResponse>');
      break;
    }
    case 'rest-xml': {
      if (opts.head) {
        if (res.body.length > 0) problems.push('HEAD error with a body');
        break;
      }
      let doc: { Error?: { Code?: string; Message?: string; RequestId?: string } };
      try {
        doc = xml.parse(text) as typeof doc;
      } catch {
        problems.push(`body is not XML: ${JSON.stringify(text.slice(0, 120))}`);
        break;
      }
      if (!doc.Error?.Code) problems.push(`no <Error><Code>: ${JSON.stringify(text.slice(0, 160))}`);
      else if (rid && doc.Error.RequestId !== rid) problems.push('<RequestId> differs from x-amz-request-id');
      break;
    }
  }
  return problems;
}

/**
 * The verdict on one answer: `expect: 'reject'` needs a typed 4xx; `'any'` also allows 2xx.
 * Never a 5xx (SDKs retry those), except S3's documented 501 NotImplemented for an unsupported
 * feature (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
export function judge(protocol: Protocol, expect: 'reject' | 'any', res: WireResponse, opts: { head?: boolean } = {}): string[] {
  const code = errorCode(protocol, res);
  if (res.status >= 200 && res.status < 300) {
    const problems = expect === 'reject' ? [`accepted (${res.status}) input that must be refused`] : [];
    if (!res.headers[requestIdHeader(protocol)]) problems.push(`no ${requestIdHeader(protocol)} header on success`);
    return problems;
  }
  if (protocol === 'rest-xml' && res.status === 501 && code === 'NotImplemented') return errorProblems(protocol, res, opts);
  if (res.status < 400 || res.status >= 500) {
    return [`answered ${res.status}${code ? ` ${code}` : ''}: ${JSON.stringify(res.body.toString('utf8').slice(0, 200))}`];
  }
  return errorProblems(protocol, res, opts);
}

/**
 * An answer a case must get exactly, for the few places where a service answers outside its
 * protocol's error format. Header values of `null` must be absent.
 */
export interface ExactAnswer {
  readonly name: string;
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | null>>;
}

/**
 * Coral's answer to a JSON-protocol request whose body is not JSON by its Content-Type: 404, no
 * Content-Type, the bare body `<UnknownOperationException/>` and a request id; Slipway adds
 * `X-Amzn-ErrorType` so that SDKs name the error (src/protocol/json11/json11-surface.ts).
 * Observed on DynamoDB (mhart/dynalite test/connection.js, "should return 404 if body but incorrect
 * content-type") and Kinesis (mhart/kinesalite test/connection.js, assertUnknownOperationXml).
 */
export const CORAL_UNKNOWN_OPERATION: ExactAnswer = {
  name: "Coral's 404 <UnknownOperationException/>",
  status: 404,
  body: '<UnknownOperationException/>\n',
  headers: { 'x-amzn-errortype': 'UnknownOperationException', 'content-type': null },
};

/** Problems with a response that must be `want` exactly (and carry a request id). */
export function exactAnswerProblems(protocol: Protocol, want: ExactAnswer, res: WireResponse): string[] {
  const problems: string[] = [];
  const got = res.body.toString('utf8');
  if (res.status !== want.status || got !== want.body) problems.push(`not ${want.name}: ${res.status} ${JSON.stringify(got.slice(0, 160))}`);
  for (const [name, value] of Object.entries(want.headers)) {
    const actual = res.headers[name];
    if (value === null ? actual !== undefined : actual !== value) problems.push(`${name} is ${actual === undefined ? 'absent' : JSON.stringify(actual)}, not ${value === null ? 'absent' : JSON.stringify(value)}`);
  }
  if (!res.headers[requestIdHeader(protocol)]) problems.push(`no ${requestIdHeader(protocol)} header`);
  return problems;
}
