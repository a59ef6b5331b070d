// Builds dist/ (server and console) before the suite: restart and kill -9 tests run the server
// as its own process, and the console tests load the built web app.
// It also makes sure the pinned Python test clients are installed (.venv, scripts/setup-test-clients)
// and PostgreSQL's server binaries are there (scripts/setup-postgres).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('bash', [join(root, 'scripts', 'setup-test-clients')], { stdio: 'inherit' });
// PostgreSQL's binaries for the store tests' private server; without them (not root, no apt)
// those cases skip with the reason instead of failing the run.
try {
  execFileSync('bash', [join(root, 'scripts', 'setup-postgres')], { stdio: 'inherit' });
} catch {
  console.warn('pretest: PostgreSQL binaries unavailable; the PostgreSQL store tests will be skipped');
}
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', cwd: root });
