/** @module cli/commands/server — `slipway server`: what `npm start` runs. */
import type { Command } from 'commander';
import { startSlipway, type SlipwayServer } from '../../server/app.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('start the Slipway server (SageMaker, Runtime, S3 and Logs APIs on one port)')
    .option('--port <port>', 'port to listen on (env SLIPWAY_PORT, default 7447)', (v) => Number(v))
    .option('--host <host>', 'address to bind (env SLIPWAY_HOST, default 127.0.0.1)')
    .option('--home <dir>', 'data directory (env SLIPWAY_HOME, default ~/.slipway)')
    .addHelpText('after', '\nExample:\n  slipway server --port 7447 --home ~/.slipway\n')
    .action(async (opts: { port?: number; host?: string; home?: string }) => {
      // Handlers first: the port answers before the controllers have resumed (startSlipway), and a
      // SIGTERM in that window must still stop Slipway cleanly rather than kill it mid-start.
      let server: SlipwayServer | undefined;
      let stopping = false;
      const stop = (s: SlipwayServer) =>
        s.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\n${signal}: stopping Slipway (containers keep running and are adopted on the next start)\n`);
        if (server) void stop(server);
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      server = await startSlipway(opts);
      if (stopping) {
        await stop(server);
        return;
      }
      process.stdout.write(
        [
          `Slipway ${server.url} (home ${server.config.home})`,
          '',
          'Point AWS clients at it:',
          `  export AWS_ENDPOINT_URL=${server.url}`,
          server.config.auth ? `  export AWS_ACCESS_KEY_ID=<key> AWS_SECRET_ACCESS_KEY=<secret> AWS_DEFAULT_REGION=us-east-1\n\nAuthentication: ON (${server.config.auth.credentials.size} key(s)); requests must be signed with a configured key` : '  export AWS_ACCESS_KEY_ID=slipway AWS_SECRET_ACCESS_KEY=slipway AWS_DEFAULT_REGION=us-east-1\n\nAuthentication: off (any key is accepted; set SLIPWAY_ACCESS_KEY_ID and SLIPWAY_SECRET_ACCESS_KEY to turn it on)',
          '',
        ].join('\n'),
      );
    });
}
