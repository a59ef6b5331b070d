// Builds dist/ (server and console) before the suite: restart and kill -9 tests run the server
// as its own process, and the console tests load the built web app.
import { execFileSync } from 'node:child_process';
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
