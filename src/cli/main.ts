#!/usr/bin/env node
/** @module cli/main — the `slipway` command: parses arguments and dispatches to commands/. */
import { Command, CommanderError, Option } from 'commander';
import { registerServerCommand } from './commands/server.js';
import { registerLocalCommands } from './commands/local.js';
import { registerPredictCommands } from './commands/predict.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerJobCommands } from './commands/train.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerResourceCommands } from './commands/resources.js';
import { registerEcrHostCommand } from './commands/ecr-host.js';
import { CliError, DEFAULT_URL, EXIT } from './context.js';
import { VERSION } from '../server/version.js';

const program = new Command();
program
  .name('slipway')
  .description('Self-hosted SageMaker-compatible training and hosting for your own containers')
  .version(VERSION)
  .addOption(new Option('--endpoint-url <url>', `Slipway server URL (env SLIPWAY_URL, default ${DEFAULT_URL})`))
  .option('--json', 'machine-readable output (the API shapes) on stdout')
  .option('-q, --quiet', 'no progress output')
  .option('--no-color', 'plain output without colours (also NO_COLOR=1)')
  .showSuggestionAfterError()
  // Usage errors exit 2 (like "cannot reach the server"); an operation that ran and failed exits 1.
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });
registerServerCommand(program);
registerLocalCommands(program);
registerPredictCommands(program);
registerDoctorCommand(program);
registerJobCommands(program);
registerDeployCommand(program);
registerLogsCommand(program);
registerResourceCommands(program);
registerEcrHostCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof CliError ? err.exitCode : EXIT.failed;
  process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof CliError) && process.env.SLIPWAY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
});
