/**
 * @module protocol/replay-request — a stand-in for an `IncomingMessage` whose body was already read
 * (authentication must hash non-S3 bodies before a surface sees them): same headers, method and
 * url, and a fresh Readable that replays the buffered bytes.
 *
 * It is a real `stream.Readable`, so everything the surfaces use works as on the original:
 * `on('data'|'end'|'error'|'close')`, `pipe`, `resume`, async iteration (readBody), `readableEnded`,
 * `readableDidRead`, and undici accepts it as a request body. As with Node's IncomingMessage
 * (since Node 16), 'close' follows 'end' once the body is consumed.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

class ReplayRequest extends Readable {
  readonly headers: IncomingMessage['headers'];
  readonly headersDistinct: IncomingMessage['headersDistinct'];
  readonly rawHeaders: string[];
  readonly trailers: IncomingMessage['trailers'] = {};
  readonly rawTrailers: string[] = [];
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly socket: IncomingMessage['socket'];
  readonly connection: IncomingMessage['socket'];
  readonly complete = true;
  readonly aborted = false;
  private body: Buffer | undefined;

  constructor(original: IncomingMessage, body: Buffer) {
    super();
    this.headers = original.headers;
    this.headersDistinct = original.headersDistinct;
    this.rawHeaders = original.rawHeaders;
    this.method = original.method;
    this.url = original.url;
    this.httpVersion = original.httpVersion;
    this.httpVersionMajor = original.httpVersionMajor;
    this.httpVersionMinor = original.httpVersionMinor;
    this.socket = original.socket;
    this.connection = original.socket;
    this.body = body;
  }

  override _read(): void {
    const body = this.body;
    this.body = undefined;
    if (body !== undefined && body.length > 0) this.push(body);
    this.push(null);
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }
}

/** A request that reads as `original` did, with `body` as its (already received) body. */
export function replayRequest(original: IncomingMessage, body: Buffer): IncomingMessage {
  return new ReplayRequest(original, body) as unknown as IncomingMessage;
}
