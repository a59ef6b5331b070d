/**
 * @module cli/commands/local — `slipway local train|serve`: the train_local.sh / serve_local.sh
 * loop on local folders, Docker only (no server).
 */
import { readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { LogLine } from '../../runtime/container-runtime.js';
import { CliError, EXIT, Output, collect, formatDuration, globalOptions, parseChannel, parseIntOption, parseKeyValues } from '../context.js';
import { guessContentType } from '../local/opt-ml.js';
import { connectDocker, removeLocalContainer, resolveLocalImage, runLocalTraining, startLocalServe, tailLogs, waitForPing } from '../local/local-runner.js';
import { forwardPort } from '../local/port-forward.js';

interface TrainOpts {
  data?: string[];
  hp?: string[];
  env?: string[];
  output: string;
}

interface ServeOpts {
  model?: string;
  port: number;
  env?: string[];
  pingTimeout: number;
  grace: number;
}

export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description('run an image with the SageMaker container contract on local folders (Docker only, no server)');

  local
    .command('train')
    .description('run IMAGE `train` against local data folders; leaves model/ and output/ in --output')
    .argument('<image>', 'local Docker image (name[:tag])')
    .option('-d, --data <channel=dir>', 'input channel folder, repeatable (a bare DIR is channel "training")', collect)
    .option('--hp <key=value>', 'hyperparameter, repeatable; passed as a string, as SageMaker does', collect)
    .option('-e, --env <key=value>', 'environment variable, repeatable', collect)
    .option('-o, --output <dir>', 'folder mounted as /opt/ml (model/, output/, input/config/)', './local-train-output')
    .addHelpText(
      'after',
      '\nExamples:\n  slipway local train decision-trees --data training=examples/decision-trees/data --hp max_leaf_nodes=5\n  slipway local train my-image -d train=./data/train -d validation=./data/val -o ./out\n',
    )
    .action(async (image: string, opts: TrainOpts, cmd: Command) => {
      const out = new Output(globalOptions(cmd));
      const runtime = await connectDocker();
      const resolved = await resolveLocalImage(runtime, image);
      const channels: Record<string, string> = {};
      const contentTypes: Record<string, string> = {};
      for (const d of opts.data ?? []) {
        const { channel, source } = parseChannel(d);
        if (/^s3:\/\//.test(source)) throw new CliError(`local train reads local folders only; for ${source} use \`slipway train\``, EXIT.usage);
        channels[channel] = source;
        const ct = firstContentType(source);
        if (ct) contentTypes[channel] = ct;
      }
      const ac = new AbortController();
      const onSignal = () => {
        out.info('\nstopping the training container (SIGTERM)…');
        ac.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      out.info(`${out.c.bold('local train')} ${resolved.local} → ${opts.output}`);
      const res = await runLocalTraining(runtime, {
        image: resolved.local,
        channels,
        contentTypes,
        hyperparameters: parseKeyValues(opts.hp, 'hyperparameter key=value'),
        env: parseKeyValues(opts.env, 'environment KEY=value'),
        outDir: opts.output,
        signal: ac.signal,
        onLine: out.opts.quiet ? undefined : printLine(out),
      }).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      const rel = relative(process.cwd(), res.outDir) || '.';
      if (out.opts.json) {
        out.json({ image: resolved.local, ...res });
      } else if (res.exitCode === 0) {
        out.info(`${out.c.green('✔')} train exited 0 in ${formatDuration(res.durationMs)}`);
        out.print(`model:  ${rel}/model (${res.modelFiles.length} file${res.modelFiles.length === 1 ? '' : 's'}: ${res.modelFiles.slice(0, 5).join(', ')}${res.modelFiles.length > 5 ? ', …' : ''})`);
        out.print(`output: ${rel}/output`);
        if (res.modelFiles.length === 0) {
          out.warn(`nothing was written to /opt/ml/model${res.strayFiles.length ? ` (but to ${res.strayFiles.map((f) => `/opt/ml/${f}`).join(', ')})` : ''}; SageMaker packs only /opt/ml/model into model.tar.gz`);
        }
        out.info(`\nNext: slipway local serve ${image} --model ${rel}/model`);
      } else {
        out.info(`${out.c.red('✖')} train ${res.stopped ? 'was stopped' : `exited ${res.exitCode}`} after ${formatDuration(res.durationMs)}`);
        if (res.failure) out.info(`failure (/opt/ml/output/failure):\n${res.failure.trimEnd()}`);
      }
      if (res.exitCode !== 0) process.exitCode = EXIT.failed;
    });

  local
    .command('serve')
    .description('serve IMAGE with a local model folder on 127.0.0.1, wait for /ping, print the URL; Ctrl-C stops it')
    .argument('<image>', 'local Docker image (name[:tag])')
    .option('-m, --model <dir>', 'folder mounted read-only as /opt/ml/model (e.g. local train\'s output/model)')
    .option('-p, --port <port>', 'port on 127.0.0.1 (0 = any free port)', parseIntOption('--port'), 8080)
    .option('-e, --env <key=value>', 'environment variable, repeatable', collect)
    .option('--ping-timeout <seconds>', 'how long to wait for /ping to answer 200', parseIntOption('--ping-timeout'), 240)
    .option('--grace <seconds>', 'SIGTERM → SIGKILL grace when stopping', parseIntOption('--grace'), 30)
    .addHelpText(
      'after',
      '\nExample:\n  slipway local serve decision-trees --model ./local-train-output/model\n  slipway predict http://127.0.0.1:8080 payload.csv text/csv\n',
    )
    .action(async (image: string, opts: ServeOpts, cmd: Command) => {
      const out = new Output(globalOptions(cmd));
      const runtime = await connectDocker();
      const resolved = await resolveLocalImage(runtime, image);
      // Claim the port first so a conflict fails before a container exists.
      if (opts.port !== 0) await (await forwardPort(opts.port, 0)).close();
      const server = await startLocalServe(runtime, { image: resolved.local, modelDir: opts.model, env: parseKeyValues(opts.env) });
      const logsAbort = new AbortController();
      const logs = (async () => {
        if (out.opts.quiet) return;
        for await (const line of runtime.followLogs(server.id, { signal: logsAbort.signal })) printLine(out, true)(line);
      })().catch(() => undefined);

      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        out.info(`stopping ${server.name} (SIGTERM, up to ${opts.grace}s)…`);
        await runtime.stopContainer(server.id, opts.grace).catch(() => undefined);
        logsAbort.abort();
        await logs;
        await removeLocalContainer(runtime, server.id);
        await forward?.close();
        process.exit(code);
      };
      let forward: { port: number; close(): Promise<void> } | undefined;
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));

      const task = out.task(`waiting for GET /ping on ${resolved.local}`);
      const ping = await waitForPing(runtime, server, {
        timeoutMs: opts.pingTimeout * 1000,
        onAttempt: (ms, status) => task.update(`waiting for GET /ping (${Math.round(ms / 1000)}s${status ? `, last answer ${status}` : ''})`),
      });
      if (!ping.ok) {
        task.fail(
          ping.reason === 'exited'
            ? `serve exited with code ${ping.exitCode} before /ping answered 200`
            : `/ping did not answer 200 within ${opts.pingTimeout}s${ping.lastStatus ? ` (last answer ${ping.lastStatus})` : ''}; run \`slipway doctor ${image}\``,
        );
        if (out.opts.quiet) for (const l of await tailLogs(runtime, server.id)) process.stderr.write(`${l}\n`);
        await stop(EXIT.failed);
        return;
      }
      forward = await forwardPort(opts.port, server.hostPort);
      const url = `http://127.0.0.1:${forward.port}`;
      task.succeed(`/ping answered 200 after ${formatDuration(ping.elapsedMs)}`);
      if (out.opts.json) out.json({ url, container: server.name, image: resolved.local });
      else out.print(`Serving ${resolved.local} at ${url}`);
      out.info(`Try: slipway predict ${url} payload.csv text/csv   (Ctrl-C stops)`);

      await runtime.waitContainer(server.id);
      if (!stopping) {
        const info = await runtime.inspectContainer(server.id);
        out.warn(`serve exited on its own with code ${info?.exitCode ?? '?'}`);
        await stop(EXIT.failed);
      }
    });
}

function printLine(out: Output, allToStderr = false) {
  return (line: LogLine) => {
    const stream = allToStderr || line.stream === 'stderr' || out.opts.json ? process.stderr : process.stdout;
    stream.write(`${line.message}\n`);
  };
}

function firstContentType(dir: string): string | undefined {
  try {
    for (const f of readdirSync(resolve(dir))) {
      const ct = guessContentType(f);
      if (ct) return ct;
    }
  } catch {
    // validated (with a clear message) when the container is created
  }
  return undefined;
}
