/**
 * The one way tests run Python clients (boto3, the SageMaker SDK): `python3 -c` from the pinned
 * .venv (vitest puts it first on PATH) with AWS settings for the server under test.
 */
import { spawn } from 'node:child_process';
import { awsEnv } from './aws-env.js';

export interface PythonOptions {
  /** Extra environment on top of awsEnv(url). */
  env?: Record<string, string>;
  /** Killed after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Python put in front of the script (imports, clients). */
  prelude?: string;
}

/** Runs the script; resolves with its stdout, rejects with its exit code, stderr and stdout. */
export function runPython(url: string, script: string, o: PythonOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', (o.prelude ?? '') + script], { env: { ...awsEnv(url), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      if (code === 0) resolve(stdout);
      else reject(new Error(`python exited ${code ?? signal}:\n${Buffer.concat(err).toString()}\n${stdout}`));
    });
  });
}

/** runPython with its stdout parsed as JSON. */
export async function pythonJson<T = any>(url: string, script: string, o: PythonOptions = {}): Promise<T> {
  return JSON.parse(await runPython(url, script, o)) as T;
}

/** runPython with the last line of its stdout parsed as JSON (for scripts that print progress first). */
export async function pythonLastJson<T = any>(url: string, script: string, o: PythonOptions = {}): Promise<T> {
  const lines = (await runPython(url, script, o)).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
