/**
 * @module test/helpers/replica-postgres — a throw-away PostgreSQL 15 server (Debian's binaries in
 * /usr/lib/postgresql/15/bin) on a free loopback port, for tests of replicas sharing one database.
 * initdb refuses to run as root, so the cluster is owned by the `postgres` user. Stopped (and its
 * directory removed) by the test that started it. Superseded by branch pg-harness's helper when
 * that lands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Own copy (server-process.ts imports vitest; bench/cluster imports this file too). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function postgresAvailable(): boolean {
  return existsSync(join(BIN, 'initdb'));
}

function asOwner(cmd: string, args: string[]): string[] {
  return userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--', join(BIN, cmd), ...args] : [join(BIN, cmd), ...args];
}

function run(cmd: string, args: string[]): void {
  const [file, ...rest] = asOwner(cmd, args);
  execFileSync(file!, rest, { stdio: 'pipe', timeout: 60_000 });
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  chmodSync(dir, 0o700);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      const [file, ...rest] = asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      spawnSync(file!, rest, { stdio: 'ignore', timeout: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
