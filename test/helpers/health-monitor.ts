/**
 * Polls `/_slipway/health` of a server while a test throws hostile input at it, and reports the
 * slowest answer (issue #12: health must answer within 200 ms throughout).
 *
 * The poller is its own small Node process, so what it measures is the server, not the test
 * process (which is busy building bodies, parsing answers and transforming modules). Polls go out
 * from their own loopback address (default 127.0.0.3), so per-address connection caps aimed at the
 * test's other traffic do not apply to them; each has a 5 s ceiling, and one that fails or times out
 * counts as 5 s. The first poll (connection set-up, the server's first request) is not judged.
 */
import { spawn } from 'node:child_process';

export interface HealthReport {
  polls: number;
  failures: number;
  maxMs: number;
  /** Polls slower than 100 ms: when (ms since the monitor started) and how long. */
  slow: { at: number; ms: number }[];
}

export interface HealthMonitor {
  stop(): Promise<HealthReport>;
}

const POLLER = `
const http = require('node:http');
const [url, localAddress, intervalMs] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const report = { polls: 0, failures: 0, maxMs: 0, slow: [] };
const t0 = performance.now();
let stopped = false;
let first = true;
process.stdin.on('end', () => (stopped = true));
process.stdin.resume();
const pollOnce = () => new Promise((resolve) => {
  const started = performance.now();
  let settled = false;
  const done = (ok) => {
    if (settled) return;
    settled = true;
    const ms = ok ? performance.now() - started : 5000;
    if (first) { first = false; return resolve(); }
    report.polls++;
    if (!ok) report.failures++;
    report.maxMs = Math.max(report.maxMs, ms);
    if (ms > 100) report.slow.push({ at: Math.round(started - t0), ms: Math.round(ms) });
    resolve();
  };
  const req = http.request(new URL('/_slipway/health', url), { agent, localAddress, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => done(res.statusCode === 200));
    res.on('error', () => done(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => done(false));
  req.end();
});
(async () => {
  while (!stopped) {
    await pollOnce();
    await new Promise((r) => setTimeout(r, Number(intervalMs)));
  }
  process.stdout.write(JSON.stringify(report));
  agent.destroy();
})();
`;

export function monitorHealth(url: string, opts: { localAddress?: string; intervalMs?: number } = {}): HealthMonitor {
  const child = spawn(process.execPath, ['-e', POLLER, url, opts.localAddress ?? '127.0.0.3', String(opts.intervalMs ?? 50)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let result: Promise<HealthReport> | undefined;
  return {
    stop: () =>
      (result ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        return JSON.parse(out || '{"polls":0,"failures":0,"maxMs":0,"slow":[]}') as HealthReport;
      })()),
  };
}
