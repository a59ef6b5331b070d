// Builds dist/ before the suite: restart and kill -9 tests run the server as its own process.
import { execFileSync } from 'node:child_process';
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
