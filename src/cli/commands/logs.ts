/**
 * @module cli/commands/logs — `slipway logs (JOB | ENDPOINT) [-f]` through the CloudWatch Logs API:
 * DescribeLogStreams for the resource's group, then GetLogEvents per stream from the head with
 * forward tokens; `-f` polls every 500 ms, picking up new streams, until a job ends or Ctrl-C.
 */
import type { Command } from 'commander';
import { DescribeLogStreamsCommand, GetLogEventsCommand, type LogStream } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeEndpointCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { call, createClients, isCode, toCliError, type Clients } from '../clients.js';
import { CliError, Output, globalOptions } from '../context.js';

export interface LogTarget {
  kind: 'job' | 'endpoint';
  name: string;
}

export function logGroupOf(t: LogTarget): { group: string; prefix?: string } {
  return t.kind === 'job' ? { group: '/aws/sagemaker/TrainingJobs', prefix: `${t.name}/` } : { group: `/aws/sagemaker/Endpoints/${t.name}` };
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description('print the log of a training job or an endpoint (CloudWatch Logs API); -f follows it live')
    .argument('<name>', 'training job or endpoint name')
    .option('-f, --follow', 'keep printing new lines (until the job ends, or Ctrl-C)')
    .option('--kind <kind>', 'job or endpoint, when a job and an endpoint share the name')
    .addHelpText('after', '\nExamples:\n  slipway logs my-job-2024-05-01-14-03-22-123\n  slipway logs my-endpoint -f\n')
    .action(async (name: string, opts: { follow?: boolean; kind?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      const target = await resolveTarget(clients, name, opts.kind);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await followLogs(clients, out, target, ac.signal, { follow: opts.follow === true });
    });
}

async function resolveTarget(clients: Clients, name: string, kind?: string): Promise<LogTarget> {
  const k = kind?.toLowerCase();
  if (k && !['job', 'endpoint', 'training-job', 'ep'].includes(k)) throw new CliError(`--kind must be job or endpoint`, 2);
  if (k !== 'endpoint' && k !== 'ep') {
    try {
      await clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      return { kind: 'job', name };
    } catch (err) {
      if (!isCode(err, 'ResourceNotFound', 'ValidationException')) throw toCliError(err, clients.url);
    }
  }
  if (k !== 'job' && k !== 'training-job') {
    try {
      await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      return { kind: 'endpoint', name };
    } catch (err) {
      if (!isCode(err, 'ResourceNotFound', 'ValidationException')) throw toCliError(err, clients.url);
    }
  }
  throw new CliError(`no training job or endpoint named ${name}; see \`slipway ls\``);
}

interface StreamCursor {
  name: string;
  token?: string;
  colour: number;
}

const PALETTE = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'] as const;

/**
 * Prints every event of the target's streams in time order per poll; with `follow` keeps polling
 * every 500 ms. For a job, following stops after the job is terminal and one last drain is empty.
 */
export async function followLogs(
  clients: Clients,
  out: Output,
  target: LogTarget,
  signal: AbortSignal,
  o: { follow?: boolean } = { follow: true },
): Promise<void> {
  const { group, prefix } = logGroupOf(target);
  const cursors = new Map<string, StreamCursor>();
  let terminalSeen = false;
  for (;;) {
    const streams = await listStreams(clients, group, prefix);
    for (const s of streams) {
      if (s.logStreamName && !cursors.has(s.logStreamName)) cursors.set(s.logStreamName, { name: s.logStreamName, colour: cursors.size });
    }
    const batch: { ts: number; stream: StreamCursor; message: string }[] = [];
    for (const c of cursors.values()) {
      for (;;) {
        const res = await call(clients.url, () =>
          clients.logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: c.name, startFromHead: true, nextToken: c.token })),
        );
        for (const e of res.events ?? []) batch.push({ ts: e.timestamp ?? 0, stream: c, message: e.message ?? '' });
        const advanced = res.nextForwardToken && res.nextForwardToken !== c.token;
        if (res.nextForwardToken) c.token = res.nextForwardToken;
        if (!advanced || (res.events ?? []).length === 0) break;
      }
    }
    batch.sort((a, b) => a.ts - b.ts);
    const multi = cursors.size > 1;
    for (const e of batch) {
      const tag = multi || target.kind === 'endpoint' ? `${paint(out, e.stream.colour, shortStream(target, e.stream.name))} ` : '';
      out.raw(`${tag}${e.message}\n`);
    }
    if (!o.follow || signal.aborted) return;
    if (target.kind === 'job') {
      if (terminalSeen && batch.length === 0) return;
      try {
        const d = await clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: target.name }));
        if (['Completed', 'Failed', 'Stopped'].includes(d.TrainingJobStatus ?? '')) terminalSeen = true;
      } catch (err) {
        throw toCliError(err, clients.url);
      }
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, terminalSeen ? 1000 : 500);
      signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
    if (signal.aborted) return;
  }
}

async function listStreams(clients: Clients, group: string, prefix?: string): Promise<LogStream[]> {
  const all: LogStream[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const res = await clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: prefix, nextToken }));
      all.push(...(res.logStreams ?? []));
      nextToken = res.nextToken && res.nextToken !== nextToken && (res.logStreams ?? []).length > 0 ? res.nextToken : undefined;
    } catch (err) {
      // The group appears with the first container; until then there is simply nothing to show.
      if (isCode(err, 'ResourceNotFoundException')) return all;
      throw toCliError(err, clients.url);
    }
  } while (nextToken);
  return all;
}

/** `job/algo-1-1714563000` → `algo-1`; endpoint streams stay `AllTraffic/i-...`. */
function shortStream(t: LogTarget, stream: string): string {
  if (t.kind === 'job') return stream.slice(t.name.length + 1).replace(/-\d{9,}$/, '');
  return stream;
}

function paint(out: Output, i: number, s: string): string {
  const name = PALETTE[i % PALETTE.length]!;
  return out.c[name](`${s} |`);
}
