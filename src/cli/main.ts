#!/usr/bin/env node
/** @module cli/main — the `slipway` command: parses arguments and dispatches to commands/. */
import { Command } from 'commander';
import { registerServerCommand } from './commands/server.js';
import { VERSION } from '../server/version.js';

const program = new Command();
program.name('slipway').description('Self-hosted SageMaker-compatible training and hosting for your own containers').version(VERSION);
registerServerCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
