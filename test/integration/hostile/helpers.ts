/**
 * @module test/integration/hostile/helpers — hostile archives and inputs built in the test (Python's
 * tarfile and gzip from the pinned .venv write whatever an attacker would), and a probe that keeps
 * asking the server questions while it chews on them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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

export interface Responsiveness {
  /** Stops probing; resolves with the slowest answer per probe (ms) and every failure. */
  stop(): Promise<{ worstMs: Record<string, number>; failures: string[]; rounds: number }>;
}

/**
 * Runs every probe, waits `intervalMs`, and again, until stopped. A probe that throws or takes
 * longer than `timeoutMs` is a failure. Run it against a server in another process: a blocked
 * event loop in this process would delay the probes themselves and hide the stall.
 */
export function watchResponsiveness(probes: Record<string, (signal: AbortSignal) => Promise<unknown>>, intervalMs = 50, timeoutMs = 2_000): Responsiveness {
  const worstMs: Record<string, number> = Object.fromEntries(Object.keys(probes).map((k) => [k, 0]));
  const failures: string[] = [];
  let rounds = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          const t0 = performance.now();
          try {
            await probe(AbortSignal.timeout(timeoutMs));
          } catch (err) {
            failures.push(`${name}: ${(err as Error).message}`);
          }
          worstMs[name] = Math.max(worstMs[name]!, performance.now() - t0);
        }),
      );
      rounds++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { worstMs, failures, rounds };
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
