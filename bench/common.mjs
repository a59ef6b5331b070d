/** @module bench/common — what the bench scripts share: flags, free ports, waiting, percentiles. */
import { createServer } from 'node:net';

/** A numeric flag (`--rounds 5`), or `dflt` when it is absent or not a number. */
export const numArg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) || dflt : dflt);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** The p-th percentile (nearest rank) of `xs`. */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Waits until `url` answers 2xx (30 s at most). */
export async function waitHttp(url, opts = {}) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url, opts)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}
