/**
 * @module runtime/docker/host-limits — the host kernel's task limits, read from this process's
 * /proc (Slipway runs on the engine's host, as its firewall already requires).
 */
import { readFile } from 'node:fs/promises';

/**
 * How many tasks (processes + threads) the host allows in all: the smaller of kernel.pid_max and
 * kernel.threads-max. Undefined when neither can be read.
 */
export async function hostMaxTasks(proc = '/proc'): Promise<number | undefined> {
  const read = (f: string) => readFile(`${proc}/sys/kernel/${f}`, 'utf8').then((t) => Number(t.trim()) || undefined, () => undefined);
  const known = (await Promise.all([read('pid_max'), read('threads-max')])).filter((n): n is number => n !== undefined);
  return known.length ? Math.min(...known) : undefined;
}
