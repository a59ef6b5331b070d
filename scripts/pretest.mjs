// Builds dist/ (server and console) before the suite: restart and kill -9 tests run the server
// as its own process, and the console tests load the built web app.
// It also makes sure the pinned Python test clients are installed (.venv, scripts/setup-test-clients).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('bash', [join(root, 'scripts', 'setup-test-clients')], { stdio: 'inherit' });
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', cwd: root });
