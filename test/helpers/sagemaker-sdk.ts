/**
 * @module test/helpers/sagemaker-sdk — runs SageMaker Python SDK v2 scripts (the pinned `.venv`
 * python) against a test server, set up as the README's "SageMaker Python SDK" section says:
 * AWS_ENDPOINT_URL, telemetry opted out, and the one-line STS workaround. Any request the SDK
 * would send past loopback goes to a dead proxy instead and fails the script, so a test can
 * never reach AWS (or leave this machine) by accident.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { deleteAllEndpoints } from '../integration/hosting/helpers.js';
import { clients } from './clients.js';
import { awsEnv, startTestServer, type TestServer } from './server.js';

/** The project's examples/ folder (what the tutorials' images are built from). */
export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../examples');

const run = promisify(execFile);

/** The SDK's defaults file: telemetry off (https://sagemaker.readthedocs.io/en/stable/overview.html#configuring-and-using-defaults-with-the-sagemaker-python-sdk). */
const SDK_CONFIG = `SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
`;

let configFile: string | undefined;

function sdkConfigFile(): string {
  if (!configFile) {
    configFile = join(mkdtempSync(join(tmpdir(), 'sm-sdk-')), 'config.yaml');
    writeFileSync(configFile, SDK_CONFIG);
  }
  return configFile;
}

export function sdkEnv(url: string): NodeJS.ProcessEnv {
  return {
    ...awsEnv(url),
    SAGEMAKER_USER_CONFIG_OVERRIDE: sdkConfigFile(),
    SAGEMAKER_ADMIN_CONFIG_OVERRIDE: sdkConfigFile(),
    SAGEMAKER_SUPPRESS_V2_WARNING: '1',
    // Port 9 on loopback: nothing listens, so a stray request fails at once, and loudly.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    PYTHONUNBUFFERED: '1',
  };
}

/** What every script starts with: the README's setup, verbatim where it is a user's line. */
export const SDK_PRELUDE = `
import json, os, sys, boto3, sagemaker, sagemaker.session
sys.excepthook = sys.__excepthook__  # plain tracebacks (the SDK installs rich's, which the test output cuts)
# README "SageMaker Python SDK": the SDK calls STS at a fixed AWS address; point it at Slipway.
sagemaker.session.sts_regional_endpoint = lambda region: os.environ["AWS_ENDPOINT_URL"]
# Test speed only: the SDK sleeps 30 s between endpoint polls and 5-10 s between job and log
# polls; the same calls, polled every second.
sagemaker.session.Session.wait_for_endpoint.__defaults__ = (1, False)
sagemaker.session.Session.logs_for_job.__defaults__ = (False, 1, 'All', None)
sagemaker.session.Session.logs_for_processing_job.__defaults__ = (False, 1)
sagemaker.session.Session.logs_for_transform_job.__defaults__ = (False, 1)
for _name in ('wait_for_job', 'wait_for_processing_job', 'wait_for_transform_job'):
    getattr(sagemaker.session.Session, _name).__defaults__ = (1,)
# With logs, the SDK asks for the job's status only when 30 s of time.time() have passed (its only
# use of time.time() in sagemaker.session): a clock 30 times as fast there asks every poll.
import time as _time, types as _types
sagemaker.session.time = _types.SimpleNamespace(**{**{k: getattr(_time, k) for k in dir(_time) if not k.startswith('_')}, 'time': lambda: _time.time() * 30})
def emit(obj):
    print('\\n@@RESULT@@' + json.dumps(obj, default=str), flush=True)
`;

export interface SdkRun {
  result: any;
  /** Everything the script printed (the SDK's log lines included), for assertions on logs. */
  stdout: string;
  stderr: string;
}

/**
 * Runs `SDK_PRELUDE + script` (which calls `emit(obj)` once) and returns what it emitted; a
 * failing script rejects with its output. `timeoutMs` bounds the whole script.
 */
export async function sdkPython(url: string, script: string, opts: { timeoutMs?: number; args?: string[] } = {}): Promise<SdkRun> {
  try {
    const { stdout, stderr } = await run('python3', ['-c', SDK_PRELUDE + script, ...(opts.args ?? [])], {
      env: sdkEnv(url),
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 300_000,
      killSignal: 'SIGKILL',
    });
    const at = stdout.lastIndexOf('@@RESULT@@');
    if (at < 0) throw Object.assign(new Error('the script emitted no result'), { stdout, stderr });
    return { result: JSON.parse(stdout.slice(at + '@@RESULT@@'.length).split('\n')[0]!), stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${e.message}\n--- stdout (tail) ---\n${(e.stdout ?? '').slice(-4000)}\n--- stderr (tail) ---\n${(e.stderr ?? '').slice(-12000)}`);
  }
}

/**
 * One server and one example image for an SDK test file: `beforeAll` builds `examples/<example>`
 * as `image` and starts the server; `afterAll` deletes the endpoints left and stops it. Returns
 * the server for the tests (set once `beforeAll` ran).
 */
export function useExampleServer(example: string, image: string): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    await promisify(execFile)('docker', ['build', '-q', '-t', image, join(EXAMPLES_DIR, example)], { maxBuffer: 16 << 20 });
    server = await startTestServer();
  });
  afterAll(async () => {
    if (!server) return;
    await deleteAllEndpoints(clients(server.url).sm, server.home);
    await server.cleanup();
  });
  return () => {
    if (!server) throw new Error('the SDK test server is not started (beforeAll failed)');
    return server;
  };
}
