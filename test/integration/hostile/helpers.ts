/**
 * @module test/integration/hostile/helpers — hostile archives and inputs built in the test (Python's
 * tarfile and gzip from the pinned .venv write whatever an attacker would), and a probe that keeps
 * asking the server questions while it chews on them.
 */
import { execFile, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const execFileAsync = promisify(execFile);

export interface ArchiveEntry {
  name: string;
  data?: string;
  symlinkTo?: string;
  hardlinkTo?: string;
  type?: 'fifo' | 'chr' | 'blk';
  /** A header declaring this size with no data behind it. */
  declaredSize?: number;
}

export interface ArchiveOptions {
  /** Empty files `many/<i>` appended after the entries. */
  manyEmpty?: number;
  /** gzip the tar twice. */
  gzipTwice?: boolean;
}

/** A tar.gz holding exactly `entries` (and `opts`), as bytes. */
export async function archive(entries: ArchiveEntry[], opts: ArchiveOptions = {}): Promise<Buffer> {
  const { stdout } = await execFileAsync(
    'python3',
    [
      '-c',
      `
import base64, gzip, io, json, sys, tarfile
entries, opts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    for e in entries:
        ti = tarfile.TarInfo(e['name'])
        if e.get('symlinkTo'):
            ti.type = tarfile.SYMTYPE; ti.linkname = e['symlinkTo']; t.addfile(ti)
        elif e.get('hardlinkTo'):
            ti.type = tarfile.LNKTYPE; ti.linkname = e['hardlinkTo']; t.addfile(ti)
        elif e.get('type'):
            ti.type = {'fifo': tarfile.FIFOTYPE, 'chr': tarfile.CHRTYPE, 'blk': tarfile.BLKTYPE}[e['type']]; t.addfile(ti)
        elif 'declaredSize' in e:
            ti.size = e['declaredSize']; t.addfile(ti)
        else:
            data = e.get('data', '').encode(); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    for i in range(opts.get('manyEmpty', 0)):
        t.addfile(tarfile.TarInfo('many/%d' % i), io.BytesIO(b''))
out = gzip.compress(buf.getvalue())
if opts.get('gzipTwice'): out = gzip.compress(out)
sys.stdout.write(base64.b64encode(out).decode())
`,
      JSON.stringify(entries),
      JSON.stringify(opts),
    ],
    { maxBuffer: 256 << 20 },
  );
  return Buffer.from(stdout, 'base64');
}

/** `gzip.compress(b'\0' * bytes)`: with 200 MiB, the 203 KB bomb of issue #12. */
export async function zeroBomb(bytes = 200 * 1024 * 1024): Promise<Buffer> {
  const { stdout } = await execFileAsync('python3', ['-c', `import base64, gzip, sys; sys.stdout.write(base64.b64encode(gzip.compress(b'\\0' * ${bytes})).decode())`], {
    maxBuffer: 64 << 20,
  });
  return Buffer.from(stdout, 'base64');
}

export type Probe = (signal: AbortSignal) => Promise<unknown>;

export interface WatchResult {
  /** Slowest answer per probe (ms). */
  worstMs: Record<string, number>;
  /** Per probe and round, how much later than the control the answer came (ms): the server's own delay. */
  lateMs: Record<string, number[]>;
  failures: string[];
  rounds: number;
}

export interface Responsiveness {
  /** Stops probing; resolves with what was seen. */
  stop(): Promise<WatchResult>;
}

/**
 * Runs every probe (and the control, when given) at once, waits `intervalMs`, and again, until
 * stopped. A probe that throws or takes longer than `timeoutMs` is a failure. Run it against a
 * server in another process: a blocked event loop in this process would delay the probes
 * themselves and hide the stall. The control is a trivial server in a third process: on a loaded
 * machine every process gets descheduled now and then, and what the control sees in the same
 * round is the machine's share of a probe's time, not the server's.
 */
export function watchResponsiveness(probes: Record<string, Probe>, o: { control?: Probe; intervalMs?: number; timeoutMs?: number } = {}): Responsiveness {
  const names = Object.keys(probes);
  const worstMs: Record<string, number> = Object.fromEntries(names.map((k) => [k, 0]));
  const lateMs: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const failures: string[] = [];
  const timed = async (name: string, probe: Probe): Promise<number> => {
    const t0 = performance.now();
    try {
      await probe(AbortSignal.timeout(o.timeoutMs ?? 2_000));
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
    return performance.now() - t0;
  };
  let rounds = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [control, ...times] = await Promise.all([o.control ? timed('control', o.control) : Promise.resolve(0), ...names.map((n) => timed(n, probes[n]!))]);
      names.forEach((n, i) => {
        worstMs[n] = Math.max(worstMs[n]!, times[i]!);
        lateMs[n]!.push(times[i]! - control!);
      });
      rounds++;
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { worstMs, lateMs, failures, rounds };
    },
  };
}

/**
 * The server answered every probe within `limitMs` of the control, and never slower than
 * `5 × limitMs` at all. One round over `limitMs` per probe is tolerated: on a 2-core machine
 * shared with other suites (load average 8–10) an isolated 200–370 ms answer was seen with nothing
 * running in the server, while the stalls this suite exists for last seconds (1.5 s to minutes).
 */
export function expectResponsive(r: WatchResult, limitMs = 200): void {
  expect(r.failures).toEqual([]);
  expect(r.rounds).toBeGreaterThan(0);
  for (const [name, late] of Object.entries(r.lateMs)) {
    const over = late.filter((ms) => ms >= limitMs).map(Math.round);
    expect(over.length, `${name} answered later than the control by ${over.join(', ')} ms`).toBeLessThanOrEqual(1);
  }
  for (const [name, ms] of Object.entries(r.worstMs)) expect(ms, `${name} took ${Math.round(ms)} ms`).toBeLessThan(5 * limitMs);
}

/** GET /_ping on the Docker engine, which /_slipway/health also asks (the engine is shared and may lag). */
function dockerPing(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock', path: '/_ping', signal }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The control for `watchResponsiveness`: a trivial HTTP server in its own process, asked together
 * with the Docker engine's /_ping, i.e. what the machine and the engine take, without Slipway.
 */
export async function startControlServer(): Promise<{ probe: Probe; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', "const s = require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => console.log(s.address().port));"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`control server exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    probe: (signal) => Promise.all([fetch(`http://127.0.0.1:${port}/`, { signal }).then((r) => r.arrayBuffer()), dockerPing(signal)]),
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A health probe for `watchResponsiveness`. */
export function healthProbe(url: string): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    const r = await fetch(`${url}/_slipway/health`, { signal });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`health answered ${r.status}`);
  };
}

/**
 * A Describe* probe as a bare JSON 1.1 request (authentication is off on test servers): no SDK
 * signing or parsing in this process, so the time measured is the server's. A resource that does
 * not exist yet (the probe starts before Create* is answered) counts as an answer too.
 */
export function describeProbe(url: string, target: string, body: Record<string, string>): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
      body: JSON.stringify(body),
      signal,
    });
    const text = await r.text();
    if (!r.ok && !/ValidationException|ResourceNotFound/.test(text)) throw new Error(`${target} answered ${r.status}: ${text}`);
  };
}

export const describeEndpointProbe = (url: string, endpoint: string) => describeProbe(url, 'SageMaker.DescribeEndpoint', { EndpointName: endpoint });
