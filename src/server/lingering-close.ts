/**
 * @module server/lingering-close — what happens to a connection whose response starts before its
 * request body has arrived (an early error: 413, NoSuchBucket, an unknown operation, a failed
 * signature; or a model that answers before reading its input).
 *
 *   response headers, body incomplete ─▶ `Connection: close` added
 *   response finished ─▶ FIN sent; the rest of the body is read and thrown away
 *                        until it ends, LINGER_IDLE_MS pass without a byte, or LINGER_MAX_MS pass
 *                     ─▶ socket closed
 *
 * Without this, a surface that stopped reading left the client (which sends the whole body before
 * reading the answer, as botocore and the AWS CLI do) blocked on a full TCP window with the
 * connection held open. Closing at once instead would reset a client still sending, and a reset can
 * discard the answer it has not read yet; reading on for a bounded while (nginx's
 * "lingering close") lets it finish sending, read the answer, and see the connection end.
 *
 * Wired in as the http server's `ServerResponse` class, so every surface gets it and the common
 * case (body complete when the response starts) costs one property check.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** The longest a closing connection keeps reading a request body it will not use. */
export const LINGER_MAX_MS = 30_000;
/** ... and the longest it waits for the next byte of it. */
export const LINGER_IDLE_MS = 5_000;

const LINGERING = Symbol('slipway.lingering');

export class LingeringResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}

// Assigned rather than declared: writeHead is overloaded, and every form must reach the original.
const baseWriteHead = ServerResponse.prototype.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
LingeringResponse.prototype.writeHead = function writeHead(this: LingeringResponse, ...args: unknown[]) {
  const req = this.req;
  if (!req.complete && !this.headersSent) {
    this.setHeader('Connection', 'close');
    lingerOnClose(req, this.socket);
  }
  return baseWriteHead.apply(this, args);
} as ServerResponse['writeHead'];

/**
 * Replaces the socket's `destroySoon` (which Node's http server calls once a `Connection: close`
 * response is written) with a lingering close: FIN now, then drain the body before destroying.
 */
function lingerOnClose(req: IncomingMessage, socket: Socket | null): void {
  if (!socket || (socket as Socket & { [LINGERING]?: true })[LINGERING]) return;
  (socket as Socket & { [LINGERING]?: true })[LINGERING] = true;
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    if (this.destroyed) return;
    if (req.complete || req.destroyed) {
      this.end(() => this.destroy());
      return;
    }
    // Stop every reader and discard what is left of the body.
    req.unpipe();
    req.removeAllListeners('data');
    req.on('data', noop);
    req.resume();
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(max);
      if (!this.destroyed) this.destroy();
    };
    const bump = () => {
      clearTimeout(idle);
      idle = setTimeout(done, LINGER_IDLE_MS);
      idle.unref();
    };
    const max = setTimeout(done, LINGER_MAX_MS);
    max.unref();
    bump();
    req.on('data', bump);
    req.once('end', done);
    req.once('close', done);
    this.once('close', done);
    this.end();
  };
}

function noop(): void {}
