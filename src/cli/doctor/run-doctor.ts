/**
 * @module cli/doctor/run-doctor — runs the contract checks of `slipway doctor` against a local
 * image through `ContainerRuntime`:
 *
 *   image metadata ─► probe container (sh: PATH, +x, #!, CRLF) ─► train on --data (twice: real
 *   data, then empty channels for the failure file) ─► serve (8080, /ping, /invocations, 415,
 *   SIGTERM) ─► findings
 *
 * Every container it makes is removed, whatever happens.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerRuntime, ResolvedImage } from '../../runtime/container-runtime.js';
import { formatBytes, formatDuration, parseChannel, type Task } from '../context.js';
import {
  LOCAL_LABEL,
  createLocalContainer,
  listFiles,
  localName,
  removeLocalContainer,
  runLocalTraining,
  startLocalServe,
  tailLogs,
  waitForPing,
  type LocalServer,
} from '../local/local-runner.js';
import {
  imageFindings,
  looksLikeStringTypeError,
  parseProbe,
  probeScript,
  programFindings,
  type Finding,
} from './findings.js';

export interface DoctorOptions {
  data?: string[];
  hyperparameters: Record<string, string>;
  model?: string;
  payload?: string;
  contentType?: string;
  accept?: string;
  pingTimeoutSeconds: number;
  graceSeconds: number;
  env?: Record<string, string>;
}

export async function runDoctor(runtime: ContainerRuntime, resolved: ResolvedImage, o: DoctorOptions, task: Task): Promise<Finding[]> {
  const findings: Finding[] = [];
  const image = resolved.local;
  const work = mkdtempSync(join(tmpdir(), 'slipway-doctor-'));
  try {
    task.update('reading image metadata');
    const engine = await runtime.info().catch(() => undefined);
    findings.push({
      id: 'image.found',
      group: 'image',
      status: 'pass',
      title: 'image is in the local engine',
      detail: `${image} (${resolved.image.id.slice(0, 19)}, ${formatBytes(resolved.image.sizeBytes)})`,
    });
    findings.push(...imageFindings(resolved.image, engine?.architecture ?? '', formatBytes));

    task.update('checking how train and serve resolve inside the image');
    findings.push(...(await probePrograms(runtime, resolved)));

    let trainedModel: string | undefined;
    if (o.data && o.data.length > 0) {
      task.update('running train on --data');
      const r = await trainChecks(runtime, image, o, work, task);
      findings.push(...r.findings);
      trainedModel = r.modelDir;
    } else {
      findings.push({ id: 'train.run', group: 'train', status: 'skip', title: 'train runs on sample data', detail: 'pass --data DIR (or CHANNEL=DIR) to run train' });
    }

    task.update('starting serve');
    const modelDir = o.model ?? trainedModel;
    findings.push(...(await serveChecks(runtime, image, { ...o, model: modelDir }, work, task)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return findings;
}

async function probePrograms(runtime: ContainerRuntime, resolved: ResolvedImage): Promise<Finding[]> {
  const ep = resolved.image.entrypoint;
  const viaEntrypoint = !!ep && ep.length > 0 && !(ep[1] === '-c' && /sh$/.test(ep[0]!));
  const programs = viaEntrypoint ? [ep![0]!] : ['train', 'serve'];
  let lines: string[];
  try {
    lines = await runToCompletion(runtime, resolved.local, ['/bin/sh', '-c', probeScript(programs)]);
  } catch (err) {
    return [
      {
        id: 'train.resolvable',
        group: 'train',
        status: 'warn',
        title: 'train and serve can be inspected',
        detail: `the probe could not run /bin/sh in the image (${(err as Error).message}); relying on the run checks`,
      },
    ];
  }
  const probe = parseProbe(lines);
  if (probe.size === 0) {
    return [{ id: 'train.resolvable', group: 'train', status: 'warn', title: 'train and serve can be inspected', detail: `probe gave no answer: ${lines.slice(-3).join(' / ')}` }];
  }
  if (viaEntrypoint) {
    const f = programFindings(ep![0]!, 'train', probe.get(ep![0]!), true);
    return [...f, ...f.map((x) => ({ ...x, id: x.id.replace(/^train\./, 'serve.'), group: 'serve' as const }))];
  }
  return [...programFindings('train', 'train', probe.get('train'), false), ...programFindings('serve', 'serve', probe.get('serve'), false)];
}

/** Runs a throwaway container with an entrypoint override and returns its output lines. */
async function runToCompletion(runtime: ContainerRuntime, image: string, entrypoint: string[]): Promise<string[]> {
  const id = await createLocalContainer(runtime, {
    name: localName('probe'),
    image,
    entrypoint,
    cmd: [],
    labels: { [LOCAL_LABEL]: 'doctor' },
    networkDisabled: true,
  });
  try {
    await runtime.startContainer(id);
    const lines: string[] = [];
    const logs = (async () => {
      for await (const l of runtime.followLogs(id)) lines.push(l.message);
    })();
    await runtime.waitContainer(id, AbortSignal.timeout(60_000));
    await logs;
    return lines;
  } finally {
    await removeLocalContainer(runtime, id);
  }
}

async function trainChecks(
  runtime: ContainerRuntime,
  image: string,
  o: DoctorOptions,
  work: string,
  task: Task,
): Promise<{ findings: Finding[]; modelDir?: string }> {
  const findings: Finding[] = [];
  const channels: Record<string, string> = {};
  for (const d of o.data ?? []) {
    const { channel, source } = parseChannel(d);
    channels[channel] = source;
  }
  const logTail: string[] = [];
  const out = join(work, 'train');
  const res = await runLocalTraining(runtime, {
    image,
    channels,
    hyperparameters: o.hyperparameters,
    env: o.env,
    outDir: out,
    onLine: (l) => {
      logTail.push(l.message);
      if (logTail.length > 15) logTail.shift();
      task.update(`train: ${l.message.slice(0, 80)}`);
    },
  });
  const hpNames = Object.keys(o.hyperparameters);
  const failureText = `${res.failure ?? ''}\n${logTail.join('\n')}`;
  if (res.exitCode === 0) {
    findings.push({ id: 'train.run', group: 'train', status: 'pass', title: 'train runs on sample data', detail: `exit 0 in ${formatDuration(res.durationMs)}` });
  } else {
    findings.push({
      id: 'train.run',
      group: 'train',
      status: 'fail',
      title: 'train runs on sample data',
      detail: `exit ${res.exitCode} after ${formatDuration(res.durationMs)}${res.failure ? `; output/failure: ${firstLines(res.failure, 3)}` : ''}\n${indentLog(logTail)}`,
      fix: `reproduce with \`slipway local train ${image} ${(o.data ?? []).map((d) => `--data ${d}`).join(' ')}\` and read the log`,
    });
  }

  let modelDir: string | undefined;
  if (res.exitCode === 0) {
    if (res.modelFiles.length > 0) {
      modelDir = join(out, 'model');
      findings.push({
        id: 'train.model',
        group: 'train',
        status: 'pass',
        title: 'train writes the model to /opt/ml/model',
        detail: `${res.modelFiles.length} file(s): ${res.modelFiles.slice(0, 4).join(', ')}`,
      });
    } else {
      const elsewhere = res.strayFiles.map((f) => `/opt/ml/${f}`);
      const inOutput = listOutputData(out);
      findings.push({
        id: 'train.model',
        group: 'train',
        status: 'fail',
        title: 'train writes the model to /opt/ml/model',
        detail:
          `/opt/ml/model is empty after a successful run, so model.tar.gz would be empty` +
          (elsewhere.length ? `; files were written to ${elsewhere.slice(0, 4).join(', ')} instead` : '') +
          (inOutput.length ? `; /opt/ml/output/data has ${inOutput.join(', ')}` : ''),
        fix: 'save the model under /opt/ml/model (os.environ.get("SM_MODEL_DIR", "/opt/ml/model")); only that folder becomes model.tar.gz',
      });
    }
  }

  if (hpNames.length === 0) {
    findings.push({ id: 'train.hyperparameters', group: 'train', status: 'skip', title: 'hyperparameters read as strings', detail: 'pass --hp key=value to check' });
  } else if (res.exitCode === 0) {
    findings.push({ id: 'train.hyperparameters', group: 'train', status: 'pass', title: 'hyperparameters read as strings', detail: `accepted ${hpNames.join(', ')} as strings` });
  } else if (looksLikeStringTypeError(failureText)) {
    findings.push({
      id: 'train.hyperparameters',
      group: 'train',
      status: 'fail',
      title: 'hyperparameters read as strings',
      detail: 'train failed with a type error while hyperparameters were set; every value in hyperparameters.json is a string',
      fix: 'convert each value yourself, e.g. int(hp["max_depth"]), float(hp["lr"]), hp["flag"] == "true"',
    });
  }

  // The failure-file check: the same run with every channel empty should fail loudly and say why.
  task.update('running train with empty channels (failure file check)');
  const empty: Record<string, string> = {};
  for (const ch of Object.keys(channels)) {
    empty[ch] = join(work, 'empty', ch);
    mkdirSync(empty[ch], { recursive: true });
  }
  const bad = await runLocalTraining(runtime, { image, channels: empty, hyperparameters: o.hyperparameters, env: o.env, outDir: join(work, 'train-empty') });
  if (bad.exitCode === 0) {
    findings.push({
      id: 'train.failure-file',
      group: 'train',
      status: 'warn',
      title: 'train reports errors in /opt/ml/output/failure',
      detail: 'train exited 0 with empty input channels; a job with missing data would look Completed',
      fix: 'check the input and exit non-zero with a message in /opt/ml/output/failure when there is nothing to train on',
    });
  } else if (!bad.failure) {
    findings.push({
      id: 'train.failure-file',
      group: 'train',
      status: 'warn',
      title: 'train reports errors in /opt/ml/output/failure',
      detail: `with empty channels train exited ${bad.exitCode} without writing /opt/ml/output/failure; FailureReason would only say "AlgorithmError: Exit Code: ${bad.exitCode}"`,
      fix: 'catch errors at the top of train, write the message to /opt/ml/output/failure, then exit non-zero',
    });
  } else {
    findings.push({
      id: 'train.failure-file',
      group: 'train',
      status: 'pass',
      title: 'train reports errors in /opt/ml/output/failure',
      detail: `with empty channels: exit ${bad.exitCode}, "${firstLines(bad.failure, 1).slice(0, 100)}"`,
    });
  }
  return { findings, modelDir };
}

/** How long /ping may stay non-200 when serve has no model to load (no --data, no --model). */
const EMPTY_MODEL_PING_SECONDS = 20;

async function serveChecks(runtime: ContainerRuntime, image: string, o: DoctorOptions, work: string, task: Task): Promise<Finding[]> {
  const findings: Finding[] = [];
  const emptyModel = !o.model;
  const modelDir = o.model ?? join(work, 'empty-model');
  mkdirSync(modelDir, { recursive: true });
  // Most images cannot answer /ping without a model; without --data or --model, don't wait the
  // whole startup window for a 200 that cannot come.
  const pingSeconds = emptyModel ? Math.min(o.pingTimeoutSeconds, EMPTY_MODEL_PING_SECONDS) : o.pingTimeoutSeconds;
  let server: LocalServer;
  try {
    server = await startLocalServe(runtime, { image, modelDir, env: o.env });
  } catch (err) {
    findings.push({
      id: 'serve.start',
      group: 'serve',
      status: 'fail',
      title: 'serve starts',
      detail: `\`docker run ${image} serve\` failed: ${(err as Error).message}`,
      fix: 'fix the `serve` findings above: it must be an executable on PATH with a valid #! line and LF line endings (or the ENTRYPOINT must accept `serve`)',
    });
    return findings;
  }
  try {
    const ping = await waitForPing(runtime, server, {
      timeoutMs: pingSeconds * 1000,
      onAttempt: (ms, st) => task.update(`waiting for GET /ping (${Math.round(ms / 1000)}s${st ? `, last answer ${st}` : ''})`),
    });
    if (!ping.ok && ping.reason === 'exited') {
      const tail = await tailLogs(runtime, server.id, 12);
      findings.push({
        id: 'serve.start',
        group: 'serve',
        status: 'fail',
        title: 'serve starts and keeps running',
        detail: `serve exited with code ${ping.exitCode} after ${formatDuration(ping.elapsedMs)}\n${indentLog(tail)}`,
        fix:
          ping.exitCode === 126 || ping.exitCode === 127
            ? 'serve could not be executed: check the executable bit, the #! line and line endings (see above)'
            : 'serve must keep running and answer HTTP on 8080; see its log above',
      });
      return findings;
    }
    findings.push({ id: 'serve.start', group: 'serve', status: 'pass', title: 'serve starts and keeps running' });
    if (!ping.ok && ping.reason === 'refused') {
      findings.push({
        id: 'serve.port',
        group: 'serve',
        status: 'fail',
        title: 'serve listens on port 8080',
        detail: `nothing accepted connections on port 8080 in ${pingSeconds}s`,
        fix: 'listen on 0.0.0.0:8080 (not 127.0.0.1, not another port); honour SAGEMAKER_BIND_TO_PORT when it is set',
      });
    } else {
      findings.push({ id: 'serve.port', group: 'serve', status: 'pass', title: 'serve listens on port 8080' });
    }
    if (ping.ok) {
      findings.push({ id: 'serve.ping', group: 'serve', status: 'pass', title: 'GET /ping answers 200 within the limit', detail: `after ${formatDuration(ping.elapsedMs)}` });
    } else if (ping.reason !== 'refused' && emptyModel) {
      findings.push({
        id: 'serve.ping',
        group: 'serve',
        status: 'warn',
        title: 'GET /ping answers 200 within the limit',
        detail: `/ping answered ${ping.lastStatus ?? 'nothing'} for ${pingSeconds}s with an empty /opt/ml/model, so the model-dependent checks were skipped`,
        fix: 'run doctor with --data DIR (doctor trains a model first) or --model DIR (an extracted model.tar.gz) to check serving with a model',
      });
    } else if (ping.reason !== 'refused') {
      const tail = await tailLogs(runtime, server.id, 8);
      findings.push({
        id: 'serve.ping',
        group: 'serve',
        status: 'fail',
        title: 'GET /ping answers 200 within the limit',
        detail:
          (ping.reason === 'slow'
            ? `/ping never answered within SageMaker's 2 s request timeout`
            : `/ping answered ${ping.lastStatus} (never 200) for ${pingSeconds}s; the endpoint would end Failed`) + (tail.length ? `\n${indentLog(tail)}` : ''),
        fix: 'answer GET /ping with 200 (an empty body is enough) once the model is loaded, within 2 s per request; check that the model loads from /opt/ml/model',
      });
    }
    if (ping.ok) findings.push(...(await invocationChecks(server, o)));
    task.update(`sending SIGTERM (grace ${o.graceSeconds}s)`);
    findings.push(await sigtermCheck(runtime, server, o.graceSeconds));
  } finally {
    await removeLocalContainer(runtime, server.id);
  }
  return findings;
}

async function invocationChecks(server: LocalServer, o: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (o.payload) {
    const ct = o.contentType ?? 'application/octet-stream';
    try {
      const started = Date.now();
      const r = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: readFileSync(o.payload),
        headers: { 'Content-Type': ct, ...(o.accept ? { Accept: o.accept } : {}) },
        signal: AbortSignal.timeout(60_000),
      });
      const text = await r.text();
      findings.push(
        r.ok
          ? {
              id: 'serve.invocations',
              group: 'serve',
              status: 'pass',
              title: 'POST /invocations answers the sample',
              detail: `${r.status} ${r.headers.get('content-type') ?? ''} in ${formatDuration(Date.now() - started)}: ${oneLine(text, 80)}`,
            }
          : {
              id: 'serve.invocations',
              group: 'serve',
              status: 'fail',
              title: 'POST /invocations answers the sample',
              detail: `${r.status} for ${o.payload} (${ct}): ${oneLine(text, 200)}`,
              fix: `make /invocations accept ${ct} and answer 2xx; try it with \`slipway local serve\` + \`slipway predict\``,
            },
      );
    } catch (err) {
      findings.push({
        id: 'serve.invocations',
        group: 'serve',
        status: 'fail',
        title: 'POST /invocations answers the sample',
        detail: (err as Error).name === 'TimeoutError' ? 'no answer within 60 s (SageMaker gives up then)' : (err as Error).message,
        fix: 'answer within 60 s; move slow work (model loading) to startup',
      });
    }
  } else {
    findings.push({ id: 'serve.invocations', group: 'serve', status: 'skip', title: 'POST /invocations answers the sample', detail: 'pass --payload FILE --content-type TYPE to check' });
  }
  try {
    const r = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      body: 'slipway doctor',
      headers: { 'Content-Type': 'application/x-slipway-doctor-unsupported' },
      signal: AbortSignal.timeout(60_000),
    });
    await r.arrayBuffer();
    findings.push(
      r.status === 415
        ? { id: 'serve.unsupported-type', group: 'serve', status: 'pass', title: 'unsupported Content-Type gets 415' }
        : {
            id: 'serve.unsupported-type',
            group: 'serve',
            status: 'warn',
            title: 'unsupported Content-Type gets 415',
            detail: `answered ${r.status} to Content-Type application/x-slipway-doctor-unsupported`,
            fix: 'reply 415 Unsupported Media Type for content types you do not handle, so callers see a client error',
          },
    );
  } catch (err) {
    findings.push({ id: 'serve.unsupported-type', group: 'serve', status: 'warn', title: 'unsupported Content-Type gets 415', detail: (err as Error).message });
  }
  return findings;
}

async function sigtermCheck(runtime: ContainerRuntime, server: LocalServer, grace: number): Promise<Finding> {
  const started = Date.now();
  await runtime.killContainer(server.id, 'SIGTERM');
  let exited = false;
  try {
    await runtime.waitContainer(server.id, AbortSignal.timeout(grace * 1000));
    exited = true;
  } catch {
    exited = false;
  }
  const elapsed = Date.now() - started;
  if (exited) {
    return { id: 'serve.sigterm', group: 'serve', status: 'pass', title: `SIGTERM stops serve within ${grace}s`, detail: `stopped after ${formatDuration(elapsed)}` };
  }
  await runtime.killContainer(server.id, 'SIGKILL').catch(() => undefined);
  return {
    id: 'serve.sigterm',
    group: 'serve',
    status: 'fail',
    title: `SIGTERM stops serve within ${grace}s`,
    detail: `still running ${grace}s after SIGTERM; SageMaker kills it (SIGKILL) and in-flight requests are cut`,
    fix: 'make the server PID 1 or forward signals: `exec` the server in a shell `serve` script, use an exec-form ENTRYPOINT, and handle SIGTERM (a shell as PID 1 ignores it)',
  };
}

function listOutputData(out: string): string[] {
  return listFiles(join(out, 'output/data')).map((f) => `output/data/${f}`);
}

function firstLines(s: string, n: number): string {
  return s.trim().split('\n').slice(0, n).join(' / ');
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function indentLog(lines: string[]): string {
  return lines.map((l) => `    | ${l}`).join('\n');
}
