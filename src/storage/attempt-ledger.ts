/**
 * @module storage/attempt-ledger — counts attempts at a step that never finished, across process
 * restarts, so that a step which keeps killing the server (a poison input) is given up after a few
 * tries instead of being re-run on every start.
 *
 *   begin(key) → count + 1 written (fsync) before the step runs; returns the earlier count
 *   end(key)   → record removed: the step finished, well or badly
 *   abandon(key) → count − 1: the step was stopped on purpose (server shutdown), not its fault
 *
 * One small file per key in a directory; keys are the caller's (hex) identifiers.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class AttemptLedger {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new Error(`invalid attempt key ${key}`);
    return join(this.dir, key);
  }

  private async read(key: string): Promise<number> {
    const text = await readFile(this.file(key), 'utf8').catch(() => '0');
    const n = Number.parseInt(text, 10);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  }

  private async write(key: string, n: number): Promise<void> {
    if (n <= 0) {
      await rm(this.file(key), { force: true });
      return;
    }
    await mkdir(this.dir, { recursive: true });
    const fh = await open(this.file(key), 'w');
    try {
      await fh.writeFile(String(n));
      // The count must survive the crash it is there to count.
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Records a new attempt; resolves with how many earlier attempts never finished. */
  async begin(key: string): Promise<number> {
    const earlier = await this.read(key);
    await this.write(key, earlier + 1);
    return earlier;
  }

  async end(key: string): Promise<void> {
    await this.write(key, 0);
  }

  async abandon(key: string): Promise<void> {
    await this.write(key, (await this.read(key)) - 1);
  }
}
