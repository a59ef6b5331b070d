/**
 * @module test/helpers/docker-socket-proxy — a Unix socket that relays to the real Docker socket
 * until the test cuts it: then every open connection (long waits and log follows included) is
 * destroyed and new ones are closed at once, as when the engine's API is unreachable, while the
 * engine itself keeps running its containers. A server pointed at it sees the outage; the test
 * still reaches the engine through the real socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerSocketProxy {
  /** The proxy's socket path (for `new Docker({ socketPath })` or DOCKER_HOST=unix://…). */
  socketPath: string;
  /** Cuts every connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startDockerSocketProxy(target = '/var/run/docker.sock'): Promise<DockerSocketProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-dockerproxy-'));
  const socketPath = join(dir, 'docker.sock');
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
