/**
 * @module test/integration/fuzz/http-edges — HTTP-level hostile variants of one valid request,
 * for any surface: headers just under and over Node's 16 KiB header limit, a Content-Length that
 * is not a number or disagrees with the body, chunked framing, `Expect: 100-continue`.
 */
import type { FuzzCase } from './runner.js';
import type { WireRequest } from './wire.js';

/** The request with a Content-Length for its body (raw sends add nothing themselves). */
function withLength(r: WireRequest): WireRequest {
  return { ...r, headers: { ...r.headers, 'content-length': String(r.body?.length ?? 0) } };
}

/** `body` in HTTP/1.1 chunked framing (one chunk, then the last chunk). */
function chunked(body: Buffer): Buffer {
  const last = Buffer.from('0\r\n\r\n');
  return body.length === 0 ? last : Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n'), last]);
}

/** Node's default limit on the request head (http.maxHeaderSize). */
const NODE_HEADER_LIMIT = 16 * 1024;

export function httpEdgeCases(op: string, valid: WireRequest): FuzzCase[] {
  const body = valid.body ?? Buffer.alloc(0);
  const base = { op, where: '', fresh: true as const, raw: true as const };
  return [
    {
      ...base,
      kind: 'big-header',
      detail: '12 KiB header (under the limit)',
      expect: 'any',
      request: withLength({ ...valid, headers: { ...valid.headers, 'x-fuzz-filler': 'f'.repeat(12 * 1024) } }),
    },
    {
      ...base,
      kind: 'huge-header',
      detail: `${NODE_HEADER_LIMIT + 4096}-byte header (over Node's limit)`,
      expect: 'reject',
      request: withLength({ ...valid, headers: { ...valid.headers, 'x-fuzz-filler': 'f'.repeat(NODE_HEADER_LIMIT + 4096) } }),
    },
    {
      ...base,
      kind: 'many-headers',
      detail: '500 small headers',
      expect: 'any',
      request: withLength({ ...valid, headers: { ...valid.headers, ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-fuzz-${i}`, 'v'])) } }),
    },
    {
      ...base,
      kind: 'bad-content-length',
      detail: 'Content-Length: abc',
      expect: 'reject',
      request: { ...valid, headers: { ...valid.headers, 'content-length': 'abc' }, body },
    },
    {
      ...base,
      kind: 'short-content-length',
      detail: 'Content-Length one byte short of the body',
      expect: 'any',
      request: { ...valid, headers: { ...valid.headers, 'content-length': String(Math.max(0, body.length - 1)) }, body },
      timeoutMs: 5_000,
    },
    {
      ...base,
      kind: 'chunked',
      detail: 'the body with Transfer-Encoding: chunked',
      expect: 'any',
      request: { ...valid, headers: { ...valid.headers, 'transfer-encoding': 'chunked' }, body: chunked(body) },
    },
    {
      ...base,
      kind: 'expect-continue',
      detail: 'Expect: 100-continue',
      expect: 'any',
      request: withLength({ ...valid, headers: { ...valid.headers, expect: '100-continue' }, body }),
    },
  ];
}
