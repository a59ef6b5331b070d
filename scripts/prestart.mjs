// `npm start` on a fresh machine: install what is missing, then build. Plain Node, no
// dependencies, because node_modules may not exist yet. Every step is skipped when already done.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
const step = (msg) => process.stdout.write(`slipway: ${msg}\n`);

function newer(a, b) {
  return existsSync(a) && existsSync(b) && statSync(a).mtimeMs > statSync(b).mtimeMs;
}

try {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker) || newer(lock, marker)) {
    step('installing npm packages (npm ci)');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  if (process.env.SLIPWAY_SKIP_DOCKER_SETUP !== '1') {
    step('checking the Docker engine (scripts/setup-docker)');
    run('bash', [join(root, 'scripts', 'setup-docker')]);
  }
  if (process.env.SLIPWAY_REGISTRY !== 'off') {
    step('checking the registry behind ECR (scripts/setup-registry)');
    run('bash', [join(root, 'scripts', 'setup-registry')]);
  }
  step('building the server and the console');
  run('npm', ['run', 'build', '--silent']);
} catch (err) {
  process.stderr.write(`\nslipway: setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.stderr.write('Fix the problem above and run `npm start` again.\n');
  process.exit(1);
}
