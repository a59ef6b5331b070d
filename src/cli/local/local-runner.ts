/**
 * @module cli/local/local-runner — runs a user's image under the SageMaker container contract on
 * local folders, through `ContainerRuntime` (no server): training on a host `/opt/ml` tree, and
 * serving with the model folder mounted and port 8080 published on 127.0.0.1. Shared by
 * `slipway local ...` and `slipway doctor`.
 *
 *   host OUT/                         container
 *     input/config/*.json      ─┐
 *     input/data/<ch>  ← DIR (ro)     /opt/ml  (the whole tree, like train_local.sh)
 *     model/  output/          ─┘
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { containerCommand } from '../../resources/container-command.js';
import type { ContainerRuntime, LogLine, ResolvedImage } from '../../runtime/container-runtime.js';
import { DockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { CliError, EXIT } from '../context.js';
import { trainingConfigFiles } from './opt-ml.js';

/** Label on every container the CLI starts, so they are never mistaken for server-managed ones. */
export const LOCAL_LABEL = 'slipway.local';
export const CLI_PID_LABEL = 'slipway.cli-pid';

export async function connectDocker(): Promise<ContainerRuntime> {
  const runtime = new DockerRuntime();
  if (!(await runtime.ping())) {
    throw new CliError(
      `cannot reach the Docker engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}); start Docker (e.g. \`dockerd\` or Docker Desktop) or set DOCKER_HOST`,
      EXIT.usage,
    );
  }
  return runtime;
}

export async function resolveLocalImage(runtime: ContainerRuntime, ref: string): Promise<ResolvedImage> {
  const resolved = await runtime.resolveImage(ref);
  if (!resolved) throw new CliError(`image ${ref} is not in the local Docker engine; build it first, e.g. \`docker build -t ${ref} .\``);
  return resolved;
}

export function localName(kind: string): string {
  return `slipway-local-${kind}-${randomBytes(4).toString('hex')}`;
}

export interface LocalTrainOptions {
  image: string;
  /** channel → host folder */
  channels: Record<string, string>;
  contentTypes?: Record<string, string>;
  hyperparameters: Record<string, string>;
  env?: Record<string, string>;
  /** Host folder mounted as /opt/ml; model/ and output/ are emptied first. */
  outDir: string;
  onLine?: (line: LogLine) => void;
  /** Aborting stops the container (SIGTERM, then SIGKILL after `graceSeconds`). */
  signal?: AbortSignal;
  graceSeconds?: number;
}

export interface LocalTrainResult {
  exitCode: number;
  durationMs: number;
  outDir: string;
  /** Paths relative to model/. */
  modelFiles: string[];
  /** Content of output/failure when present. */
  failure?: string;
  /** Files written under /opt/ml outside model/ and output/ (relative to /opt/ml). */
  strayFiles: string[];
  stopped: boolean;
}

export async function runLocalTraining(runtime: ContainerRuntime, o: LocalTrainOptions): Promise<LocalTrainResult> {
  const out = resolve(o.outDir);
  for (const sub of ['model', 'output']) rmSync(join(out, sub), { recursive: true, force: true });
  for (const sub of ['input/config', 'input/data', 'model', 'output/data']) mkdirSync(join(out, sub), { recursive: true });
  const files = trainingConfigFiles({
    hyperparameters: o.hyperparameters,
    channels: Object.keys(o.channels).map((name) => ({ name, contentType: o.contentTypes?.[name] })),
  });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(out, 'input/config', name), content);
  const before = new Set(listFiles(out));

  const binds = [{ hostPath: out, containerPath: '/opt/ml' }];
  for (const [ch, dir] of Object.entries(o.channels)) {
    const abs = resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CliError(`channel ${ch}: ${dir} is not a folder`, EXIT.usage);
    // Read-only: a local test must never modify the user's data.
    binds.push({ hostPath: abs, containerPath: `/opt/ml/input/data/${ch}`, readOnly: true } as (typeof binds)[number]);
  }
  const name = localName('train');
  const jobName = name.replace(/^slipway-/, '');
  const id = await createLocalContainer(runtime, {
    name,
    image: o.image,
    ...containerCommand('train'),
    env: {
      TRAINING_JOB_NAME: jobName,
      TRAINING_JOB_ARN: `arn:aws:sagemaker:us-east-1:000000000000:training-job/${jobName}`,
      ...o.env,
    },
    labels: { [LOCAL_LABEL]: 'train' },
    binds,
    hostname: 'algo-1',
  });
  const started = Date.now();
  let stopped = false;
  const onAbort = () => {
    stopped = true;
    void runtime.stopContainer(id, o.graceSeconds ?? 10).catch(() => undefined);
  };
  try {
    await runtime.startContainer(id);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const logs = (async () => {
      for await (const line of runtime.followLogs(id)) o.onLine?.(line);
    })();
    const { exitCode } = await runtime.waitContainer(id);
    await logs.catch(() => undefined);
    const modelDir = join(out, 'model');
    const failurePath = join(out, 'output/failure');
    const inputs = new Set(Object.keys(o.channels).map((c) => `input/data/${c}`));
    const strayFiles = listFiles(out).filter(
      (f) => !before.has(f) && !f.startsWith('model/') && !f.startsWith('output/') && ![...inputs].some((p) => f === p || f.startsWith(`${p}/`)),
    );
    return {
      exitCode,
      durationMs: Date.now() - started,
      outDir: out,
      modelFiles: listFiles(modelDir),
      failure: existsSync(failurePath) ? readFileSync(failurePath, 'utf8') : undefined,
      strayFiles,
      stopped,
    };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await removeLocalContainer(runtime, id);
  }
}

/** Regular files under `dir`, relative, sorted; [] when it does not exist. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export interface LocalServeOptions {
  image: string;
  /** Host folder mounted read-only at /opt/ml/model; undefined = empty model dir. */
  modelDir?: string;
  env?: Record<string, string>;
}

export interface LocalServer {
  id: string;
  name: string;
  /** Ephemeral 127.0.0.1 port published for container port 8080. */
  hostPort: number;
  url: string;
}

export async function startLocalServe(runtime: ContainerRuntime, o: LocalServeOptions): Promise<LocalServer> {
  const binds = [];
  if (o.modelDir) {
    const abs = resolve(o.modelDir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CliError(`--model ${o.modelDir} is not a folder`, EXIT.usage);
    binds.push({ hostPath: abs, containerPath: '/opt/ml/model', readOnly: true });
  }
  const name = localName('serve');
  const id = await createLocalContainer(runtime, {
    name,
    image: o.image,
    ...containerCommand('serve'),
    env: { ...o.env },
    labels: { [LOCAL_LABEL]: 'serve' },
    binds,
    publishPorts: [8080],
  });
  try {
    await runtime.startContainer(id);
    const info = await runtime.inspectContainer(id);
    const hostPort = info?.ports[8080];
    if (!hostPort) {
      const exited = info && !info.running ? ` (container exited with code ${info.exitCode})` : '';
      throw new CliError(`container port 8080 was not published${exited}`);
    }
    return { id, name, hostPort, url: `http://127.0.0.1:${hostPort}` };
  } catch (err) {
    await removeLocalContainer(runtime, id);
    throw err;
  }
}

export type PingOutcome =
  | { ok: true; elapsedMs: number; attempts: number }
  | {
      ok: false;
      elapsedMs: number;
      attempts: number;
      /** exited: container ended; refused: nothing answered on 8080; status: answered, never 200; slow: requests timed out. */
      reason: 'exited' | 'refused' | 'status' | 'slow';
      lastStatus?: number;
      exitCode?: number;
    };

/**
 * Polls GET /ping every 250 ms with SageMaker's 2 s request timeout until 200, the deadline,
 * or the container's exit.
 */
export async function waitForPing(
  runtime: ContainerRuntime,
  server: LocalServer,
  o: { timeoutMs: number; onAttempt?: (elapsedMs: number, status?: number) => void; signal?: AbortSignal },
): Promise<PingOutcome> {
  const start = Date.now();
  let attempts = 0;
  let lastStatus: number | undefined;
  let sawSlow = false;
  for (;;) {
    attempts++;
    try {
      const r = await fetch(`${server.url}/ping`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer().catch(() => undefined);
      lastStatus = r.status;
      if (r.status === 200) return { ok: true, elapsedMs: Date.now() - start, attempts };
    } catch (err) {
      if ((err as { name?: string }).name === 'TimeoutError') sawSlow = true;
    }
    o.onAttempt?.(Date.now() - start, lastStatus);
    const info = await runtime.inspectContainer(server.id);
    const elapsedMs = Date.now() - start;
    if (!info || !info.running) return { ok: false, elapsedMs, attempts, reason: 'exited', lastStatus, exitCode: info?.exitCode ?? undefined };
    if (elapsedMs >= o.timeoutMs || o.signal?.aborted) {
      return { ok: false, elapsedMs, attempts, reason: lastStatus !== undefined ? 'status' : sawSlow ? 'slow' : 'refused', lastStatus };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last `n` log lines of a container (for failure messages). */
export async function tailLogs(runtime: ContainerRuntime, id: string, n = 20): Promise<string[]> {
  const lines: string[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 3_000);
  try {
    const info = await runtime.inspectContainer(id);
    if (info?.running) {
      // followLogs would block on a live container; cut it off shortly after the backlog.
      setTimeout(() => ac.abort(), 500);
    }
    for await (const l of runtime.followLogs(id, { signal: ac.signal })) {
      lines.push(l.message);
      if (lines.length > n) lines.shift();
    }
  } catch {
    // best effort
  } finally {
    clearTimeout(timer);
  }
  return lines;
}

/** Containers this CLI process created and has not removed yet. */
const liveContainers = new Map<string, ContainerRuntime>();
let interruptCleanupInstalled = false;

/**
 * Creates a local-run container and remembers it, so that an interrupted CLI (Ctrl-C, SIGTERM,
 * `timeout`) still removes it. Commands with their own signal handling (local train, local serve)
 * keep it: the safety net only acts when nothing else listens for the signal.
 */
export async function createLocalContainer(runtime: ContainerRuntime, spec: Parameters<ContainerRuntime['createContainer']>[0]): Promise<string> {
  // The owning process is on the label too, so a person (or a test) can tell whose container it is.
  const id = await runtime.createContainer({ ...spec, labels: { ...spec.labels, [CLI_PID_LABEL]: String(process.pid) } });
  liveContainers.set(id, runtime);
  if (!interruptCleanupInstalled) {
    interruptCleanupInstalled = true;
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      process.on(signal, () => {
        if (process.listenerCount(signal) > 1) return;
        void Promise.all([...liveContainers].map(([cid, rt]) => rt.removeContainer(cid, { force: true }).catch(() => undefined))).finally(() =>
          process.exit(code),
        );
      });
    }
  }
  return id;
}

export async function removeLocalContainer(runtime: ContainerRuntime, id: string): Promise<void> {
  liveContainers.delete(id);
  await runtime.removeContainer(id, { force: true }).catch(() => undefined);
}
