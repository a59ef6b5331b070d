/**
 * @module registry/registry-process — runs Debian's `docker-registry` as Slipway's child:
 * started on first use, health-checked, restarted, stopped with the server.
 *
 *   ensureStarted ─► stale child of a killed Slipway? (pid file) ─► kill it
 *                 ─► write config ─► spawn (setpriv --pdeathsig: it dies with Slipway, even on kill -9)
 *                 ─► GET /v2/ on its socket answers 200 within startTimeoutMs ─► running
 *   running ─► every healthIntervalMs GET /v2/; 3 failures in a row ─► SIGKILL ─► restart
 *           ─► exits on its own ─► restart after 1 s, 2 s, 4 s … 30 s (reset once healthy)
 *   stop    ─► SIGTERM (the registry drains for 2 s) ─► SIGKILL after 5 s
 *
 * A start that fails (binary missing, socket never answers) leaves the state `failed` with the
 * reason; the next ensureStarted tries again, so a later install needs no restart of Slipway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRegistryConfig } from './registry-config.js';

export type RegistryState = 'stopped' | 'starting' | 'running' | 'failed';

export interface RegistryStatus {
  state: RegistryState;
  /** Why the last start failed or the registry was restarted. */
  reason?: string;
  pid?: number;
  restarts: number;
}

export interface RegistryProcessOptions {
  binary: string;
  /** The registry's directory in Slipway's home: config, secret, pid file, storage under data/. */
  dir: string;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  healthIntervalMs?: number;
  startTimeoutMs?: number;
}

/** The registry could not be started or is not answering; the message says why. */
export class RegistryUnavailableError extends Error {}

const SETPRIV = '/usr/bin/setpriv';
/** sun_path is 108 bytes on Linux, with the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const TAIL_LINES = 20;

export class RegistryProcess {
  readonly socketPath: string;
  readonly storageDir: string;
  private readonly configPath: string;
  private readonly pidPath: string;
  private readonly healthIntervalMs: number;
  private readonly startTimeoutMs: number;
  private child: ChildProcess | undefined;
  private starting: Promise<void> | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private state: RegistryState = 'stopped';
  private reason: string | undefined;
  private restarts = 0;
  private crashes = 0;
  private healthFailures = 0;
  private stopping = false;
  private readonly tail: string[] = [];

  constructor(private readonly opts: RegistryProcessOptions) {
    this.storageDir = join(opts.dir, 'data');
    this.configPath = join(opts.dir, 'config.yml');
    this.pidPath = join(opts.dir, 'registry.pid');
    const inHome = join(opts.dir, 'registry.sock');
    this.socketPath =
      Buffer.byteLength(inHome) <= MAX_SOCKET_PATH ? inHome : join(tmpdir(), `slipway-registry-${createHash('sha256').update(opts.dir).digest('hex').slice(0, 16)}.sock`);
    this.healthIntervalMs = opts.healthIntervalMs ?? 10_000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  }

  status(): RegistryStatus {
    return {
      state: this.state,
      restarts: this.restarts,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.child?.pid !== undefined && this.state === 'running' ? { pid: this.child.pid } : {}),
    };
  }

  /** Resolves once the registry answers; throws RegistryUnavailableError with the reason otherwise. */
  ensureStarted(): Promise<void> {
    if (this.stopping) return Promise.reject(new RegistryUnavailableError('Slipway is stopping'));
    if (this.state === 'running' && this.child) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.healthTimer);
    clearTimeout(this.restartTimer);
    await this.starting?.catch(() => undefined);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.pidPath, { force: true });
    this.state = 'stopped';
  }

  private async start(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.state = 'starting';
    try {
      if (!existsSync(this.opts.binary)) {
        throw new RegistryUnavailableError(`the registry binary ${this.opts.binary} is not installed (run scripts/setup-registry, or npm start, which does)`);
      }
      this.prepare();
      const child = this.spawnChild();
      await this.waitReady(child);
      this.state = 'running';
      this.reason = undefined;
      this.healthFailures = 0;
      clearInterval(this.healthTimer);
      this.healthTimer = setInterval(() => void this.checkHealth(), this.healthIntervalMs);
      this.healthTimer.unref();
      this.opts.log.info({ pid: child.pid, socket: this.socketPath }, 'registry started');
    } catch (err) {
      this.state = 'failed';
      this.reason = err instanceof Error ? err.message : String(err);
      const child = this.child;
      this.child = undefined;
      child?.kill('SIGKILL');
      throw err instanceof RegistryUnavailableError ? err : new RegistryUnavailableError(this.reason);
    }
  }

  /** Config and secret in place; a registry left by a Slipway that was killed is gone. */
  private prepare(): void {
    mkdirSync(this.storageDir, { recursive: true, mode: 0o700 });
    const secretPath = join(this.opts.dir, 'http-secret');
    if (!existsSync(secretPath)) writeFileSync(secretPath, randomBytes(32).toString('hex'), { mode: 0o600 });
    const secret = readFileSync(secretPath, 'utf8').trim();
    writeFileSync(this.configPath, renderRegistryConfig({ storageDir: this.storageDir, socketPath: this.socketPath, secret }), { mode: 0o600 });
    this.killStale();
    rmSync(this.socketPath, { force: true });
  }

  private killStale(): void {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidPath, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return; // gone already
    }
    // Only our own registry: its command line names our config file.
    if (!cmdline.includes(this.configPath)) return;
    this.opts.log.warn({ pid }, 'registry left running by an earlier Slipway; stopping it');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }

  private spawnChild(): ChildProcess {
    const args = ['serve', this.configPath];
    // PR_SET_PDEATHSIG survives the exec: the registry gets SIGTERM when Slipway dies, however it dies.
    const child = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'SIGTERM', '--', this.opts.binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(this.opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    if (child.pid !== undefined) writeFileSync(this.pidPath, String(child.pid));
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line.slice(0, 500));
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.opts.log.debug({ registry: line }, 'registry output');
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => this.opts.log.warn({ err }, 'registry process error'));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return; // an old child we already replaced or stopped
    this.child = undefined;
    if (this.stopping || this.state !== 'running') return;
    this.state = 'failed';
    this.reason = `the registry exited (${signal ?? `code ${code}`}); last output: ${this.lastOutput()}`;
    this.crashes++;
    const delay = Math.min(30_000, 1_000 * 2 ** Math.min(this.crashes - 1, 5));
    this.opts.log.warn({ code, signal, restartInMs: delay }, 'registry exited; restarting');
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.ensureStarted().then(
        () => {
          this.crashes = 0;
        },
        (err: unknown) => this.opts.log.warn({ err }, 'registry restart failed'),
      );
    }, delay);
    this.restartTimer.unref();
  }

  private async checkHealth(): Promise<void> {
    if (this.state !== 'running' || !this.child) return;
    const ok = await this.ping(3_000);
    if (ok) {
      this.healthFailures = 0;
      return;
    }
    this.healthFailures++;
    if (this.healthFailures < 3) return;
    this.opts.log.warn({ failures: this.healthFailures }, 'registry not answering its health check; restarting it');
    this.healthFailures = 0;
    // The exit handler restarts it.
    this.child.kill('SIGKILL');
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new RegistryUnavailableError(`the registry exited during start-up: ${this.lastOutput()}`);
      }
      if (await this.ping(1_000)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new RegistryUnavailableError(`the registry did not answer within ${this.startTimeoutMs} ms: ${this.lastOutput()}`);
  }

  /** GET /v2/ on the socket answers 200 (503 while its storage driver is unhealthy). */
  ping(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socketPath, path: '/v2/', method: 'GET', timeout: timeoutMs }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  private lastOutput(): string {
    return this.tail.length ? this.tail.slice(-5).join(' | ') : '(no output)';
  }
}
