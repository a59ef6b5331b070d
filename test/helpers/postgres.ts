/**
 * @module test/helpers/postgres — a private PostgreSQL server for one test file: initdb into a
 * temp directory, started on a free loopback port with its socket in that directory (fsync off:
 * the data is thrown away), reused by every test in the file, stopped and removed in afterAll, on
 * process exit, and — should the test process be killed — by a small watchdog that outlives it
 * only to clean up. `freshDatabase()` gives each test a new, empty database.
 *
 * PostgreSQL refuses to run as root; as root the server runs as the `postgres` user the Debian
 * package creates (else `nobody`). The binaries come from scripts/setup-postgres; without them
 * the PostgreSQL suites skip, saying why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './free-port.js';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin directory, or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  return postgresBinDir() ? undefined : `PostgreSQL server binaries not found under ${PG_ROOT}/*/bin (run scripts/setup-postgres)`;
}

export interface PostgresServer {
  port: number;
  /** The superuser's URL for a database on this server (default `postgres`). */
  url(database?: string): string;
  /** CREATE DATABASE with a new name; its URL. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

/** Kills the postmaster (immediate shutdown) and removes the directory, when `owner` is gone. */
function startWatchdog(owner: number, dir: string): number | undefined {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  const script = `while kill -0 ${owner} 2>/dev/null; do sleep 1; done
if [ -f '${pidFile}' ]; then p=$(head -n 1 '${pidFile}'); kill -QUIT "$p" 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done; fi
rm -rf '${dir}'`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresUnavailable());
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(sock, as.uid, as.gid);
  }
  const opts = { ...(as ?? {}), cwd: dir, stdio: 'pipe' as const, timeout: 60_000 };
  const pgCtl = (args: string[]) => execFileSync(join(bin, 'pg_ctl'), ['-D', data, ...args], opts);
  let watchdog: number | undefined;
  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(join(data, 'postmaster.pid'))) pgCtl(['stop', '-m', 'immediate', '-w']);
    } catch {
      // Already gone; the directory goes all the same.
    }
    rmSync(dir, { recursive: true, force: true });
    if (watchdog !== undefined) {
      try {
        process.kill(watchdog);
      } catch {
        // It had finished.
      }
    }
  };
  process.once('exit', stopNow);
  try {
    // C collation for the cluster; the test databases choose an ICU locale (freshDatabase).
    execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], opts);
    watchdog = startWatchdog(process.pid, dir);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
      try {
        pgCtl(['start', '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', settings]);
        break;
      } catch (err) {
        // Another process took the port between our probe and the server's bind: try another.
        if (attempt >= 3) throw new Error(`postgres did not start: ${(err as Error).message}\n${readLog(dir)}`);
      }
    }
    const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
    let n = 0;
    return {
      port,
      url,
      async freshDatabase() {
        const name = `t${process.pid}_${++n}`;
        const admin = new pg.Client({ connectionString: url() });
        await admin.connect();
        try {
          // A non-C locale, so that anything relying on the database's default collation shows.
          await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`);
        } finally {
          await admin.end();
        }
        return url(name);
      },
      async stop() {
        process.removeListener('exit', stopNow);
        stopNow();
      },
    };
  } catch (err) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw err;
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/**
 * One server for the calling test file, started in beforeAll and removed in afterAll. Without the
 * binaries `server()` throws; guard the suite with `describe.skipIf(postgresUnavailable())`.
 */
export function usePostgres(): { server(): PostgresServer; freshDatabase(): Promise<string> } {
  let srv: PostgresServer | undefined;
  beforeAll(async () => {
    if (!postgresUnavailable()) srv = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    srv = undefined;
  });
  const server = (): PostgresServer => {
    if (!srv) throw new Error(postgresUnavailable() ?? 'the PostgreSQL server is not started (call inside a test)');
    return srv;
  };
  return { server, freshDatabase: () => server().freshDatabase() };
}
