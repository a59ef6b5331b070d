/**
 * @module cli/commands/ecr-host — `slipway ecr-host enable|disable|status`: the opt-in that makes
 * `<account>.dkr.ecr.<region>.amazonaws.com` reach Slipway's registry on this machine, so tutorial
 * scripts that tag and push to ECR names run unchanged (registry/host-opt-in.ts, docs/ecr.md).
 */
import type { Command } from 'commander';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { disableHostNames, enableHostNames, optInDir, readOptIn } from '../../registry/host-opt-in.js';
import { registryHost } from '../../services/ecr/names.js';
import { CliError, EXIT } from '../context.js';

/** Go's resolver (dockerd) re-reads /etc/hosts at most every 5 s. */
const RESOLVER_CACHE_MS = 5_500;

interface HostOpts {
  home?: string;
  account?: string;
  region?: string[];
  name?: string[];
}

function homeOf(o: HostOpts): string {
  return resolve(o.home ?? process.env.SLIPWAY_HOME ?? join(homedir(), '.slipway'));
}

/** GET https://<name>/v2/ answers (any status): a server with this home serves the name. */
function probe(name: string, ca: Buffer, port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', servername: name, port, path: '/v2/', ca, timeout: 2_000, headers: { host: name } }, (res) => {
      res.resume();
      done(undefined);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 2 s')));
    req.on('error', (err) => done(err.message));
    req.end();
  });
}

function systemError(err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return new CliError(`${e.message}: run it as root (it edits /etc/hosts and /etc/docker/certs.d)`);
  return new CliError(e instanceof Error ? e.message : String(e));
}

export function registerEcrHostCommand(program: Command): void {
  const cmd = program
    .command('ecr-host')
    .description("make ECR host names (<account>.dkr.ecr.<region>.amazonaws.com) reach Slipway's registry on this machine, or undo it");

  cmd
    .command('enable')
    .description('add /etc/hosts entries, a local CA trusted by Docker for those names, and a certificate the server serves on port 443')
    .option('--home <dir>', 'data directory of the server that serves the names (env SLIPWAY_HOME, default ~/.slipway)')
    .option('--account <id>', 'account in the host name (env SLIPWAY_ACCOUNT_ID, default 000000000000)')
    .option('--region <region...>', 'region(s) in the host name (env AWS_DEFAULT_REGION, default us-east-1)')
    .option('--name <host...>', 'host name(s) to add as given, instead of account and region')
    .addHelpText('after', '\nExample:\n  sudo slipway ecr-host enable --region us-east-1 eu-west-1\n  sudo slipway ecr-host disable\n')
    .action(async (o: HostOpts) => {
      const home = homeOf(o);
      const account = o.account ?? process.env.SLIPWAY_ACCOUNT_ID ?? '000000000000';
      if (!/^\d{12}$/.test(account)) throw new CliError(`--account must be 12 digits (got ${account})`, EXIT.usage);
      const regions = o.region ?? [process.env.AWS_DEFAULT_REGION ?? process.env.AWS_REGION ?? 'us-east-1'];
      const names = o.name ?? regions.map((r) => registryHost(account, r));
      let result: Awaited<ReturnType<typeof enableHostNames>>;
      try {
        result = await enableHostNames(home, names);
      } catch (err) {
        throw systemError(err);
      }
      if (result.hostsChanged) await new Promise((r) => setTimeout(r, RESOLVER_CACHE_MS));
      const port = Number(process.env.SLIPWAY_REGISTRY_TLS_PORT ?? 443);
      const ca = readFileSync(join(optInDir(home), 'ca.crt'));
      // The server picks the change up within a second or two.
      let problem: string | undefined;
      for (let i = 0; i < 6; i++) {
        problem = await probe(names[0]!, ca, port);
        if (problem === undefined) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      process.stdout.write(`enabled: ${result.state.names.join(', ')} -> 127.0.0.1 (home ${home})\n`);
      process.stdout.write(
        problem === undefined
          ? `served on port ${port} by the Slipway server with this home\n`
          : `no Slipway server with home ${home} answers on port ${port} yet (${problem}); start it with SLIPWAY_HOME=${home}\n`,
      );
      process.stdout.write(`undo with: slipway ecr-host disable --home ${home}\n`);
    });

  cmd
    .command('disable')
    .description('remove everything `enable` added (hosts entries, Docker certs.d files, the CA and certificate)')
    .option('--home <dir>', 'data directory given to enable (env SLIPWAY_HOME, default ~/.slipway)')
    .action((o: HostOpts) => {
      const home = homeOf(o);
      let names: string[];
      try {
        names = disableHostNames(home);
      } catch (err) {
        throw systemError(err);
      }
      process.stdout.write(names.length ? `disabled: ${names.join(', ')}\n` : 'nothing was enabled for this home\n');
    });

  cmd
    .command('status')
    .description('the host names enabled for a data directory')
    .option('--home <dir>', 'data directory (env SLIPWAY_HOME, default ~/.slipway)')
    .action((o: HostOpts) => {
      const state = readOptIn(homeOf(o));
      process.stdout.write(state ? `${JSON.stringify(state, null, 2)}\n` : 'not enabled\n');
    });
}
