/**
 * Polls `/_slipway/health` of a server while a test throws hostile input at it, and reports the
 * slowest answer (issue #12: health must answer within 200 ms throughout).
 *
 * The poller is its own small Node process, so what it measures is the server, not the test
 * process (which is busy building bodies, parsing answers and transforming modules). Polls go out
 * from their own loopback address (default 127.0.0.3), so per-address connection caps aimed at the
 * test's other traffic do not apply to them; each has a 5 s ceiling, and one that fails or times out
 * counts as 5 s. The first poll (connection set-up, the server's first request) is not judged.
 *
 * On a loaded 2-core machine (the whole suite in parallel) a poll can wait for a CPU for hundreds of
 * milliseconds without the server doing anything wrong. Given the server's pid, the poller also
 * reads the CPU time the server's main thread used during each poll (/proc/<pid>/task/<pid>/stat): a slow poll during which
 * the server was busy for 150 ms or more is a stall (its one thread was doing something else); one
 * during which it was not is the machine's load. `maxStallMs` is the slowest poll of the first kind.
 */
import { spawn } from 'node:child_process';

export interface HealthReport {
  polls: number;
  failures: number;
  maxMs: number;
  /** The slowest poll during which the server used >= 150 ms of CPU (0 without a pid). */
  maxStallMs: number;
  /** Polls slower than 100 ms: when (ms since the monitor started), how long, and the server's CPU ms meanwhile. */
  slow: { at: number; ms: number; serverCpuMs?: number }[];
}

export interface HealthMonitor {
  stop(): Promise<HealthReport>;
}

const POLLER = `
const http = require('node:http');
const fs = require('node:fs');
const [url, localAddress, intervalMs, pid] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const report = { polls: 0, failures: 0, maxMs: 0, maxStallMs: 0, slow: [] };
// utime + stime of the server's main thread (its event loop; worker threads excluded), in ms
// (clock ticks of 10 ms); undefined without a pid.
const cpuMs = () => {
  if (!pid) return undefined;
  try {
    const f = fs.readFileSync('/proc/' + pid + '/task/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch { return undefined; }
};
const t0 = performance.now();
let stopped = false;
let first = true;
process.stdin.on('end', () => (stopped = true));
process.stdin.resume();
const pollOnce = () => new Promise((resolve) => {
  const started = performance.now();
  const cpu0 = cpuMs();
  let settled = false;
  const done = (ok) => {
    if (settled) return;
    settled = true;
    const ms = ok ? performance.now() - started : 5000;
    const cpu1 = cpuMs();
    const serverCpuMs = cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
    if (first) { first = false; return resolve(); }
    report.polls++;
    if (!ok) report.failures++;
    report.maxMs = Math.max(report.maxMs, ms);
    if (serverCpuMs !== undefined && serverCpuMs >= 150) report.maxStallMs = Math.max(report.maxStallMs, ms);
    if (ms > 100) report.slow.push({ at: Math.round(started - t0), ms: Math.round(ms), serverCpuMs });
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

/** `pid`: the server process's (enables `maxStallMs`). */
export function monitorHealth(url: string, opts: { localAddress?: string; intervalMs?: number; pid?: number } = {}): HealthMonitor {
  const child = spawn(process.execPath, ['-e', POLLER, url, opts.localAddress ?? '127.0.0.3', String(opts.intervalMs ?? 50), String(opts.pid ?? '')], {
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
        return JSON.parse(out || '{"polls":0,"failures":0,"maxMs":0,"maxStallMs":0,"slow":[]}') as HealthReport;
      })()),
  };
}
