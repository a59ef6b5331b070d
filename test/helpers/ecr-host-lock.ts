/**
 * @module test/helpers/ecr-host-lock — one test file at a time may hold `slipway ecr-host enable`:
 * it maps `<account>.dkr.ecr.<region>.amazonaws.com` to 127.0.0.1 in /etc/hosts and the server
 * listens on 127.0.0.1:443, which two servers cannot share. Test files run in parallel workers, so
 * they take this machine-wide lock (an exclusive directory; a holder that died is taken over).
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const LOCK = join(tmpdir(), 'slipway-test-ecr-host.lock');

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists (another user's). No pid file: being written, unless it never was.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return true;
    try {
      return code === 'ENOENT' && Date.now() - statSync(LOCK).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
}

/** Waits (at most `timeoutMs`) for the lock; the returned function releases it. */
export async function acquireEcrHostLock(timeoutMs = 900_000): Promise<() => void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`another test holds ${LOCK} (ecr-host) for too long`);
    else await new Promise((r) => setTimeout(r, 1000));
  }
}
