/** @module test/helpers/free-port — a TCP port nothing listens on right now (no vitest import: bench scripts may use it). */
import { createServer } from 'node:net';

/** Asks the kernel for a free port on `host` (loopback by default; the Swarm harness needs all addresses). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
