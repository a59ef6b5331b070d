// Adds lockfile entries for optional platform packages (rollup, esbuild, cbor-extract builds for
// other OSes and CPUs) that npm could not write because the registry reachable here lacks the
// exact versions. Without them, `npm ci` (npm 11) refuses the lock with "Missing: ... from lock
// file". The entries are optional and never match this platform, so `npm ci` skips them.
// Run after any `npm install` that changes package-lock.json: `node scripts/lock-placeholders.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [dep, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = key ? `${key}/node_modules/${dep}` : `node_modules/${dep}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${dep}`]) continue;
    lock.packages[`node_modules/${dep}`] = { version: String(range).replace(/^[~^]/, ''), optional: true };
    added++;
  }
}
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-placeholders: added ${added} optional entr${added === 1 ? 'y' : 'ies'}`);
