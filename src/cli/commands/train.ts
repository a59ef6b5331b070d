/**
 * @module cli/commands/train — `slipway train` (CreateTrainingJob, uploading local folders to the
 * embedded S3 store first) and `slipway stop JOB`, with progress until a terminal status.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  StopTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  type DescribeTrainingJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { call, createClients, type Clients } from '../clients.js';
import { CliError, EXIT, Output, collect, formatDuration, globalOptions, parseChannel, parseIntOption, parseKeyValues } from '../context.js';
import { ensureBucket, uploadFolder, DEFAULT_BUCKET } from '../upload.js';
import { guessContentType } from '../local/opt-ml.js';
import { listFiles } from '../local/local-runner.js';
import { followLogs } from './logs.js';

export const DEFAULT_ROLE = 'arn:aws:iam::000000000000:role/slipway';

interface TrainOpts {
  image?: string;
  name?: string;
  data?: string[];
  hp?: string[];
  env?: string[];
  instanceType: string;
  count: number;
  output?: string;
  maxRuntime: number;
  role: string;
  bucket: string;
  inputJson?: string;
  wait?: boolean;
  logs?: boolean;
}

export function registerJobCommands(program: Command): void {
  program
    .command('train')
    .description('start a training job (CreateTrainingJob); local --data folders are uploaded to the embedded S3 store')
    .option('-i, --image <image>', 'training image')
    .option('-n, --name <name>', 'job name (default: image name + timestamp)')
    .option('-d, --data <channel=s3://...|dir>', 'input channel, repeatable (a bare value is channel "training")', collect)
    .option('--hp <key=value>', 'hyperparameter, repeatable', collect)
    .option('-e, --env <key=value>', 'environment variable, repeatable', collect)
    .option('--instance-type <type>', 'instance type (sets CPU and memory limits)', 'ml.m5.large')
    .option('--count <n>', 'instance count (distributed training: algo-1..algo-N)', parseIntOption('--count'), 1)
    .option('--output <s3uri>', 'S3OutputPath (default s3://BUCKET/output)')
    .option('--max-runtime <seconds>', 'StoppingCondition.MaxRuntimeInSeconds', parseIntOption('--max-runtime'), 86400)
    .option('--role <arn>', 'RoleArn (accepted, not enforced)', DEFAULT_ROLE)
    .option('--bucket <name>', 'bucket for uploads and output', DEFAULT_BUCKET)
    .option('--input-json <file>', 'the CreateTrainingJob request as JSON (like `aws sagemaker create-training-job --cli-input-json`)')
    .option('-w, --wait', 'wait for Completed/Failed/Stopped and exit 1 unless Completed')
    .option('--logs', 'with --wait: print the job log while waiting')
    .addHelpText(
      'after',
      '\nExamples:\n  slipway train --image decision-trees --data training=./data --hp max_leaf_nodes=5 --wait\n  slipway train --input-json job.json --wait\n',
    )
    .action(async (opts: TrainOpts, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      const input = opts.inputJson ? readInputJson(opts) : await buildRequest(opts, clients, out);
      const created = await call(clients.url, () => clients.sagemaker.send(new CreateTrainingJobCommand(input)));
      const name = input.TrainingJobName!;
      if (!opts.wait) {
        if (g.json) out.json({ TrainingJobArn: created.TrainingJobArn, TrainingJobName: name });
        else {
          out.print(`Started training job ${name}`);
          out.info(`  ${created.TrainingJobArn}\n\nFollow it: slipway logs ${name} -f\nWait:      slipway describe job ${name}`);
        }
        return;
      }
      out.info(`Started training job ${out.c.bold(name)}`);
      const final = await waitForJob(clients, out, name, { logs: opts.logs === true });
      reportJob(out, final, g.json);
    });

  program
    .command('stop')
    .description('stop a training job (StopTrainingJob: SIGTERM, SIGKILL after 120 s)')
    .argument('<job>', 'training job name')
    .option('-w, --wait', 'wait until it is Stopped')
    .action(async (job: string, opts: { wait?: boolean }, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      await call(clients.url, () => clients.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: job })));
      if (!opts.wait) {
        if (g.json) out.json({ TrainingJobName: job, TrainingJobStatus: 'Stopping' });
        else out.print(`Stopping ${job}`);
        return;
      }
      const final = await waitForJob(clients, out, job, { logs: false });
      if (g.json) out.json(stripMetadata(final));
      else out.print(`${job}: ${final.TrainingJobStatus}`);
    });
}

function readInputJson(opts: TrainOpts): CreateTrainingJobCommandInput {
  let input: CreateTrainingJobCommandInput;
  try {
    input = JSON.parse(readFileSync(opts.inputJson!, 'utf8')) as CreateTrainingJobCommandInput;
  } catch (err) {
    throw new CliError(`--input-json ${opts.inputJson}: ${(err as Error).message}`, EXIT.usage);
  }
  if (opts.name) input.TrainingJobName = opts.name;
  if (!input.TrainingJobName) throw new CliError('the input JSON has no TrainingJobName; add it or pass --name', EXIT.usage);
  return input;
}

/** `decision-trees-2024-05-01-14-03-22-123`, as the SageMaker Python SDK names jobs. */
export function defaultName(image: string, now = new Date()): string {
  const base = (basename(image.split('@')[0]!.split(':')[0]!) || 'job').replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 38) || 'job';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}-${p(now.getUTCHours())}-${p(now.getUTCMinutes())}-${p(now.getUTCSeconds())}-${p(now.getUTCMilliseconds(), 3)}`;
  return `${base}-${ts}`;
}

async function buildRequest(opts: TrainOpts, clients: Clients, out: Output): Promise<CreateTrainingJobCommandInput> {
  if (!opts.image) throw new CliError('give --image IMAGE (or --input-json FILE)', EXIT.usage);
  const name = opts.name ?? defaultName(opts.image);
  const channels: NonNullable<CreateTrainingJobCommandInput['InputDataConfig']> = [];
  let bucketReady = false;
  for (const d of opts.data ?? []) {
    const { channel, source } = parseChannel(d);
    let uri = source;
    let contentType: string | undefined;
    if (!/^s3:\/\//.test(source)) {
      const dir = resolve(source);
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) throw new CliError(`--data ${d}: ${source} is neither s3://... nor a local folder`, EXIT.usage);
      if (!bucketReady) {
        await ensureBucket(clients, opts.bucket);
        bucketReady = true;
      }
      const prefix = `input/${name}/${channel}`;
      await uploadFolder(clients, out, { dir, bucket: opts.bucket, prefix, label: channel });
      uri = `s3://${opts.bucket}/${prefix}/`;
      contentType = listFiles(dir).map((f) => guessContentType(join(dir, f))).find(Boolean);
    }
    channels.push({
      ChannelName: channel,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
      ...(contentType ? { ContentType: contentType } : {}),
    });
  }
  if (!opts.output && !bucketReady) await ensureBucket(clients, opts.bucket);
  const env = parseKeyValues(opts.env, 'environment KEY=value');
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: opts.image, TrainingInputMode: 'File' },
    RoleArn: opts.role,
    HyperParameters: parseKeyValues(opts.hp, 'hyperparameter key=value'),
    ...(channels.length ? { InputDataConfig: channels } : {}),
    OutputDataConfig: { S3OutputPath: opts.output ?? `s3://${opts.bucket}/output` },
    ResourceConfig: { InstanceType: opts.instanceType as never, InstanceCount: opts.count, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: opts.maxRuntime },
    ...(Object.keys(env).length ? { Environment: env } : {}),
  };
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

export async function waitForJob(
  clients: Clients,
  out: Output,
  name: string,
  o: { logs: boolean },
): Promise<DescribeTrainingJobCommandOutput> {
  const task = o.logs ? undefined : out.task(`${name}: InProgress`);
  const started = Date.now();
  const logsAbort = new AbortController();
  const logs = o.logs ? followLogs(clients, out, { kind: 'job', name }, logsAbort.signal).catch(() => undefined) : undefined;
  try {
    for (;;) {
      const d = await call(clients.url, () => clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name })));
      const status = `${d.TrainingJobStatus}${d.SecondaryStatus ? ` / ${d.SecondaryStatus}` : ''}`;
      task?.update(`${name}: ${status} (${formatDuration(Date.now() - started)})`);
      if (TERMINAL.has(d.TrainingJobStatus ?? '')) {
        const text = `${name}: ${d.TrainingJobStatus} after ${formatDuration(Date.now() - started)}`;
        if (d.TrainingJobStatus === 'Completed') task?.succeed(text);
        else task?.fail(text);
        return d;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    // The log follower drains and stops on its own once the job is terminal.
    await logs;
    logsAbort.abort();
  }
}

function reportJob(out: Output, d: DescribeTrainingJobCommandOutput, json: boolean): void {
  if (json) out.json(stripMetadata(d));
  else if (d.TrainingJobStatus === 'Completed') {
    out.print(`Model artifacts: ${d.ModelArtifacts?.S3ModelArtifacts ?? '-'}`);
    for (const m of d.FinalMetricDataList ?? []) out.print(`  ${m.MetricName} = ${m.Value}`);
    out.info(`\nDeploy it: slipway deploy --job ${d.TrainingJobName} --name ${d.TrainingJobName!.slice(0, 50)}-ep --wait`);
  } else {
    out.print(`${d.TrainingJobName}: ${d.TrainingJobStatus}${d.FailureReason ? `: ${d.FailureReason}` : ''}`);
    out.info(`See the log: slipway logs ${d.TrainingJobName}`);
  }
  if (d.TrainingJobStatus !== 'Completed') process.exitCode = EXIT.failed;
}

/** The API's output without the SDK's `$metadata`, for --json. */
export function stripMetadata<T extends object>(o: T): Omit<T, '$metadata'> {
  const { $metadata: _m, ...rest } = o as T & { $metadata?: unknown };
  return rest;
}
