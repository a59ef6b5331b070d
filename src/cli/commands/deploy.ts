/**
 * @module cli/commands/deploy — `slipway deploy`: CreateModel + CreateEndpointConfig +
 * CreateEndpoint in one step (from a finished job or an image), with progress until InService.
 * Model and endpoint config take the endpoint's name, as the SageMaker Python SDK's deploy does.
 */
import type { Command } from 'commander';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { call, createClients, type Clients } from '../clients.js';
import { CliError, EXIT, Output, collect, formatDuration, globalOptions, parseIntOption, parseKeyValues } from '../context.js';
import { DEFAULT_ROLE, stripMetadata } from './train.js';

interface DeployOpts {
  job?: string;
  image?: string;
  modelData?: string;
  name: string;
  instanceType: string;
  count: number;
  variant: string;
  env?: string[];
  role: string;
  wait?: boolean;
}

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description('deploy a trained job or an image as an endpoint (model + endpoint config + endpoint)')
    .option('-j, --job <name>', 'a Completed training job: its image and model.tar.gz')
    .option('-i, --image <image>', 'inference image (instead of --job)')
    .option('--model-data <s3uri>', 'ModelDataUrl (model.tar.gz) for --image')
    .requiredOption('-n, --name <endpoint>', 'endpoint name (also used for the model and the endpoint config)')
    .option('--instance-type <type>', 'instance type', 'ml.m5.large')
    .option('--count <n>', 'initial instance count', parseIntOption('--count'), 1)
    .option('--variant <name>', 'production variant name', 'AllTraffic')
    .option('-e, --env <key=value>', 'container environment variable, repeatable', collect)
    .option('--role <arn>', 'ExecutionRoleArn (accepted, not enforced)', DEFAULT_ROLE)
    .option('-w, --wait', 'wait until InService (exit 1 if it fails)')
    .addHelpText(
      'after',
      '\nExamples:\n  slipway deploy --job my-job-2024-05-01-14-03-22-123 --name iris --wait\n  slipway deploy --image my-image --model-data s3://slipway-default/model.tar.gz --name iris\n',
    )
    .action(async (opts: DeployOpts, cmd: Command) => {
      const g = globalOptions(cmd);
      const out = new Output(g);
      const clients = createClients(g);
      if (!!opts.job === !!opts.image) throw new CliError('give exactly one of --job NAME or --image IMAGE', EXIT.usage);
      let image = opts.image;
      let modelData = opts.modelData;
      if (opts.job) {
        const job = await call(clients.url, () => clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: opts.job })));
        if (job.TrainingJobStatus !== 'Completed') {
          throw new CliError(`training job ${opts.job} is ${job.TrainingJobStatus}, not Completed; nothing to deploy yet`);
        }
        image = job.AlgorithmSpecification?.TrainingImage;
        modelData = job.ModelArtifacts?.S3ModelArtifacts;
        if (!image) throw new CliError(`training job ${opts.job} has no TrainingImage (algorithm jobs cannot be deployed with --job)`);
      }
      const env = parseKeyValues(opts.env, 'environment KEY=value');
      const name = opts.name;
      await call(clients.url, () =>
        clients.sagemaker.send(
          new CreateModelCommand({
            ModelName: name,
            ExecutionRoleArn: opts.role,
            PrimaryContainer: { Image: image, ...(modelData ? { ModelDataUrl: modelData } : {}), ...(Object.keys(env).length ? { Environment: env } : {}) },
          }),
        ),
      );
      out.info(`${out.c.green('✔')} model ${name} (${image}${modelData ? `, ${modelData}` : ''})`);
      await call(clients.url, () =>
        clients.sagemaker.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: name,
            ProductionVariants: [
              { VariantName: opts.variant, ModelName: name, InstanceType: opts.instanceType as never, InitialInstanceCount: opts.count, InitialVariantWeight: 1 },
            ],
          }),
        ),
      );
      out.info(`${out.c.green('✔')} endpoint config ${name} (${opts.count} × ${opts.instanceType})`);
      const created = await call(clients.url, () => clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name })));
      if (!opts.wait) {
        if (g.json) out.json({ EndpointName: name, EndpointArn: created.EndpointArn, ModelName: name, EndpointConfigName: name });
        else out.print(`Creating endpoint ${name}; watch it with: slipway describe endpoint ${name}`);
        return;
      }
      const final = await waitForEndpoint(clients, out, name);
      if (g.json) out.json(stripMetadata(final));
      if (final.EndpointStatus !== 'InService') {
        if (!g.json) out.print(`${name}: ${final.EndpointStatus}${final.FailureReason ? `: ${final.FailureReason}` : ''}`);
        out.info(`See the log: slipway logs ${name}`);
        process.exitCode = EXIT.failed;
        return;
      }
      if (!g.json) {
        out.print(`Endpoint ${name} is InService`);
        out.info(
          [
            '',
            'Invoke it:',
            `  slipway invoke ${name} --file payload.csv --content-type text/csv`,
            `  aws sagemaker-runtime invoke-endpoint --endpoint-url ${clients.url} --endpoint-name ${name} \\`,
            '      --content-type text/csv --body fileb://payload.csv out.txt',
            `Remove it: slipway rm endpoint ${name} --all`,
          ].join('\n'),
        );
      }
    });
}

export async function waitForEndpoint(clients: Clients, out: Output, name: string): Promise<DescribeEndpointCommandOutput> {
  const started = Date.now();
  const task = out.task(`${name}: Creating`);
  for (;;) {
    const d = await call(clients.url, () => clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })));
    const status = d.EndpointStatus ?? '?';
    const instances = (d.ProductionVariants ?? []).map((v) => `${v.CurrentInstanceCount ?? 0}/${v.DesiredInstanceCount ?? '?'}`).join(', ');
    task.update(`${name}: ${status}${instances ? ` (instances ${instances})` : ''} ${formatDuration(Date.now() - started)}`);
    if (status !== 'Creating' && status !== 'Updating' && status !== 'SystemUpdating') {
      const text = `${name}: ${status} after ${formatDuration(Date.now() - started)}`;
      if (status === 'InService') task.succeed(text);
      else task.fail(text);
      return d;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
