/**
 * @module cli/commands/resources — `slipway ls`, `describe KIND NAME` and `rm KIND NAME` over the
 * SageMaker List / Describe / Delete operations. `--json` prints the API's output shapes.
 */
import type { Command } from 'commander';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteTrainingJobCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTrainingJobsCommand,
  type EndpointConfigSummary,
  type EndpointSummary,
  type ModelSummary,
  type TrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import { call, createClients, isCode, toCliError, type Clients } from '../clients.js';
import { CliError, EXIT, Output, formatDuration, formatTime, globalOptions, renderTable, type Colors } from '../context.js';
import { stripMetadata } from './train.js';

export const KINDS = {
  job: 'job',
  endpoint: 'endpoint',
  model: 'model',
  'endpoint-config': 'endpoint-config',
} as const;
export type Kind = (typeof KINDS)[keyof typeof KINDS];

const ALIASES: Record<string, Kind> = {
  job: 'job',
  jobs: 'job',
  'training-job': 'job',
  'training-jobs': 'job',
  endpoint: 'endpoint',
  endpoints: 'endpoint',
  ep: 'endpoint',
  model: 'model',
  models: 'model',
  'endpoint-config': 'endpoint-config',
  'endpoint-configs': 'endpoint-config',
  config: 'endpoint-config',
  configs: 'endpoint-config',
};

export function parseKind(s: string): Kind {
  const k = ALIASES[s.toLowerCase()];
  if (!k) throw new CliError(`unknown kind "${s}"; use one of jobs, endpoints, models, endpoint-configs`, EXIT.usage);
  return k;
}

export function registerResourceCommands(program: Command): void {
  program
    .command('ls')
    .alias('list')
    .description('list training jobs, endpoints, models or endpoint configs (all four without KIND)')
    .argument('[kind]', 'jobs | endpoints | models | endpoint-configs')
    .addHelpText('after', '\nExamples:\n  slipway ls\n  slipway ls jobs --json | jq -r \'.TrainingJobSummaries[].TrainingJobName\'\n')
    .action(async (kindArg: string | undefined, _opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      const kinds: Kind[] = kindArg ? [parseKind(kindArg)] : ['job', 'endpoint', 'model', 'endpoint-config'];
      const results: Record<string, unknown> = {};
      for (const k of kinds) {
        const r = await list(clients, k, out.c);
        Object.assign(results, r.json);
        if (!g.json) {
          if (kinds.length > 1) out.print(out.c.bold(`\n${TITLES[k]}`));
          out.print(r.rows.length ? renderTable(r.headers, r.rows, out.c) : out.c.dim(`  no ${TITLES[k].toLowerCase()}`));
        }
      }
      if (g.json) out.json(results);
    });

  program
    .command('describe')
    .description('show one training job, endpoint, model or endpoint config')
    .argument('<kind>', 'job | endpoint | model | endpoint-config')
    .argument('<name>', 'resource name')
    .action(async (kindArg: string, name: string, _opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      const d = stripMetadata(await call(clients.url, () => describe(clients, parseKind(kindArg), name)));
      if (g.json) out.json(d);
      else out.print(renderDescribe(d as Record<string, unknown>, out.c));
    });

  program
    .command('rm')
    .alias('delete')
    .description('delete a training job, endpoint, model or endpoint config')
    .argument('<kind>', 'job | endpoint | model | endpoint-config')
    .argument('<name...>', 'resource name(s)')
    .option('--all', 'for an endpoint: also delete its endpoint config and the models in it')
    .option('-w, --wait', 'for an endpoint: wait until it is gone')
    .action(async (kindArg: string, names: string[], opts: { all?: boolean; wait?: boolean }, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      const kind = parseKind(kindArg);
      const deleted: { kind: Kind; name: string }[] = [];
      for (const name of names) deleted.push(...(await remove(clients, out, kind, name, opts)));
      if (g.json) out.json({ deleted });
      else for (const d of deleted) out.print(`deleted ${d.kind} ${d.name}`);
    });
}

const TITLES: Record<Kind, string> = { job: 'Training jobs', endpoint: 'Endpoints', model: 'Models', 'endpoint-config': 'Endpoint configs' };

async function pages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const r = await fetch(token);
    all.push(...r.items);
    token = r.next && r.next !== token ? r.next : undefined;
  } while (token);
  return all;
}

function statusColour(c: Colors, s: string | undefined): string {
  if (!s) return '-';
  if (/^(Completed|InService)$/.test(s)) return c.green(s);
  if (/^(Failed|OutOfService)$/.test(s)) return c.red(s);
  if (/^(Stopped|Deleting|Stopping)$/.test(s)) return c.dim(s);
  return c.yellow(s);
}

async function list(clients: Clients, kind: Kind, c: Colors): Promise<{ headers: string[]; rows: string[][]; json: Record<string, unknown> }> {
  const sm = clients.sagemaker;
  const send = <T>(fn: () => Promise<T>) => call(clients.url, fn);
  switch (kind) {
    case 'job': {
      const items = await pages<TrainingJobSummary>(async (NextToken) => {
        const r = await send(() => sm.send(new ListTrainingJobsCommand({ NextToken, MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Descending' })));
        return { items: r.TrainingJobSummaries ?? [], next: r.NextToken };
      });
      return {
        headers: ['NAME', 'STATUS', 'CREATED', 'DURATION'],
        rows: items.map((j) => [
          j.TrainingJobName ?? '',
          statusColour(c, j.TrainingJobStatus),
          formatTime(j.CreationTime),
          j.TrainingEndTime && j.CreationTime ? formatDuration(j.TrainingEndTime.getTime() - j.CreationTime.getTime()) : '-',
        ]),
        json: { TrainingJobSummaries: items },
      };
    }
    case 'endpoint': {
      const items = await pages<EndpointSummary>(async (NextToken) => {
        const r = await send(() => sm.send(new ListEndpointsCommand({ NextToken, MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Descending' })));
        return { items: r.Endpoints ?? [], next: r.NextToken };
      });
      return {
        headers: ['NAME', 'STATUS', 'CREATED', 'MODIFIED'],
        rows: items.map((e) => [e.EndpointName ?? '', statusColour(c, e.EndpointStatus), formatTime(e.CreationTime), formatTime(e.LastModifiedTime)]),
        json: { Endpoints: items },
      };
    }
    case 'model': {
      const items = await pages<ModelSummary>(async (NextToken) => {
        const r = await send(() => sm.send(new ListModelsCommand({ NextToken, MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Descending' })));
        return { items: r.Models ?? [], next: r.NextToken };
      });
      return { headers: ['NAME', 'CREATED'], rows: items.map((m) => [m.ModelName ?? '', formatTime(m.CreationTime)]), json: { Models: items } };
    }
    case 'endpoint-config': {
      const items = await pages<EndpointConfigSummary>(async (NextToken) => {
        const r = await send(() => sm.send(new ListEndpointConfigsCommand({ NextToken, MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Descending' })));
        return { items: r.EndpointConfigs ?? [], next: r.NextToken };
      });
      return {
        headers: ['NAME', 'CREATED'],
        rows: items.map((m) => [m.EndpointConfigName ?? '', formatTime(m.CreationTime)]),
        json: { EndpointConfigs: items },
      };
    }
  }
}

async function describe(clients: Clients, kind: Kind, name: string): Promise<object> {
  const sm = clients.sagemaker;
  switch (kind) {
    case 'job':
      return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    case 'endpoint':
      return sm.send(new DescribeEndpointCommand({ EndpointName: name }));
    case 'model':
      return sm.send(new DescribeModelCommand({ ModelName: name }));
    case 'endpoint-config':
      return sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
  }
}

async function remove(clients: Clients, out: Output, kind: Kind, name: string, opts: { all?: boolean; wait?: boolean }): Promise<{ kind: Kind; name: string }[]> {
  const sm = clients.sagemaker;
  const send = <T>(fn: () => Promise<T>) => call(clients.url, fn);
  switch (kind) {
    case 'job':
      await send(() => sm.send(new DeleteTrainingJobCommand({ TrainingJobName: name })));
      return [{ kind, name }];
    case 'model':
      await send(() => sm.send(new DeleteModelCommand({ ModelName: name })));
      return [{ kind, name }];
    case 'endpoint-config':
      await send(() => sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
      return [{ kind, name }];
    case 'endpoint': {
      const done: { kind: Kind; name: string }[] = [];
      let configName: string | undefined;
      if (opts.all) configName = (await send(() => sm.send(new DescribeEndpointCommand({ EndpointName: name })))).EndpointConfigName;
      await send(() => sm.send(new DeleteEndpointCommand({ EndpointName: name })));
      done.push({ kind, name });
      if (opts.wait || opts.all) await waitGone(clients, out, name);
      if (opts.all && configName) {
        let models: string[] = [];
        try {
          const cfg = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
          models = (cfg.ProductionVariants ?? []).map((v) => v.ModelName).filter((m): m is string => !!m);
          await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
          done.push({ kind: 'endpoint-config', name: configName });
        } catch (err) {
          if (!isCode(err, 'ResourceNotFound', 'ValidationException')) throw toCliError(err, clients.url);
        }
        for (const m of new Set(models)) {
          try {
            await sm.send(new DeleteModelCommand({ ModelName: m }));
            done.push({ kind: 'model', name: m });
          } catch (err) {
            if (!isCode(err, 'ResourceNotFound', 'ValidationException')) throw toCliError(err, clients.url);
          }
        }
      }
      return done;
    }
  }
}

async function waitGone(clients: Clients, out: Output, name: string): Promise<void> {
  const task = out.task(`${name}: Deleting`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const d = await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      task.update(`${name}: ${d.EndpointStatus}`);
    } catch (err) {
      if (isCode(err, 'ResourceNotFound', 'ValidationException')) {
        task.succeed(`${name}: deleted`);
        return;
      }
      throw toCliError(err, clients.url);
    }
    if (Date.now() > deadline) {
      task.fail(`${name}: still deleting after 120 s`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `Key: value` lines for scalars (times in local time), indented JSON for nested values. */
export function renderDescribe(d: Record<string, unknown>, c: Colors): string {
  const keys = Object.keys(d);
  const width = Math.max(...keys.map((k) => k.length));
  return keys
    .map((k) => {
      const v = d[k];
      const label = c.bold(k.padEnd(width));
      if (v instanceof Date) return `${label}  ${formatTime(v)}`;
      if (v === null || typeof v !== 'object') return `${label}  ${/Status$/.test(k) ? statusColour(c, String(v)) : String(v)}`;
      const json = JSON.stringify(v, null, 2).split('\n');
      return `${label}  ${json.map((l, i) => (i === 0 ? l : ' '.repeat(width + 2) + l)).join('\n')}`;
    })
    .join('\n');
}
