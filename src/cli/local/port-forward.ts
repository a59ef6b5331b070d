/**
 * @module cli/local/port-forward — a loopback TCP forwarder from a fixed port (default 8080, what
 * predict.sh and notebooks expect) to the container's ephemeral published port. The runtime only
 * publishes ephemeral ports, and forwarding in-process keeps `local serve` engine-neutral.
 */
import { createServer, connect, type Server } from 'node:net';
import { CliError, EXIT } from '../context.js';

export async function forwardPort(listenPort: number, targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<{ destroy(): void }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new CliError(`port ${listenPort} on 127.0.0.1 is in use; pick another with --port (0 = any free port)`, EXIT.usage)
          : err,
      );
    });
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
