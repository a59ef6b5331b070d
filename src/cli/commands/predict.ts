/**
 * @module cli/commands/predict — `slipway predict TARGET FILE [CONTENT_TYPE]` (predict.sh) and
 * `slipway invoke ENDPOINT`: a URL gets `POST TARGET/invocations` directly (a `local serve`
 * container); an endpoint name goes through SageMaker Runtime InvokeEndpoint.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { call, createClients, networkErrorCode } from '../clients.js';
import { CliError, EXIT, Output, globalOptions } from '../context.js';
import { guessContentType } from '../local/opt-ml.js';

interface InvokeOpts {
  accept?: string;
  attributes?: string;
  variant?: string;
  contentType?: string;
  body?: string;
  file?: string;
}

export function registerPredictCommands(program: Command): void {
  program
    .command('predict')
    .description('send FILE to a container URL (POST /invocations) or to an endpoint (InvokeEndpoint) and print the answer')
    .argument('<target>', 'http(s)://host:port of a serving container, or an endpoint name')
    .argument('<file>', 'payload file (- for stdin)')
    .argument('[content-type]', 'Content-Type (default: from the file extension, else application/octet-stream)')
    .option('--accept <type>', 'Accept header')
    .option('--attributes <str>', 'X-Amzn-SageMaker-Custom-Attributes')
    .option('--variant <name>', 'target production variant (endpoints only)')
    .addHelpText(
      'after',
      '\nExamples:\n  slipway predict http://127.0.0.1:8080 payload.csv text/csv\n  slipway predict my-endpoint payload.json application/json --accept application/json\n',
    )
    .action(async (target: string, file: string, contentType: string | undefined, opts: InvokeOpts, cmd: Command) => {
      const body = readPayload(file);
      const ct = contentType ?? guessContentType(file) ?? 'application/octet-stream';
      await send(cmd, target, body, ct, opts);
    });

  program
    .command('invoke')
    .description('invoke an endpoint (SageMaker Runtime InvokeEndpoint) and print the answer')
    .argument('<endpoint>', 'endpoint name')
    .option('--body <string>', 'request body')
    .option('-f, --file <file>', 'request body from a file (- for stdin)')
    .option('-t, --content-type <type>', 'Content-Type', undefined)
    .option('--accept <type>', 'Accept header')
    .option('--attributes <str>', 'X-Amzn-SageMaker-Custom-Attributes')
    .option('--variant <name>', 'target production variant')
    .addHelpText('after', '\nExample:\n  slipway invoke my-endpoint --file payload.csv --content-type text/csv\n')
    .action(async (endpoint: string, opts: InvokeOpts, cmd: Command) => {
      if ((opts.body === undefined) === (opts.file === undefined)) throw new CliError('give exactly one of --body or --file', EXIT.usage);
      const body = opts.file !== undefined ? readPayload(opts.file) : Buffer.from(opts.body!);
      const ct = opts.contentType ?? (opts.file ? guessContentType(opts.file) : undefined) ?? 'application/octet-stream';
      await send(cmd, endpoint, body, ct, opts);
    });
}

function readPayload(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

async function send(cmd: Command, target: string, body: Buffer, contentType: string, opts: InvokeOpts): Promise<void> {
  const g = globalOptions(cmd);
  const out = new Output(g);
  if (/^https?:\/\//i.test(target)) {
    const url = /\/invocations\/?$/.test(target) ? target : `${target.replace(/\/+$/, '')}/invocations`;
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (opts.accept) headers.Accept = opts.accept;
    if (opts.attributes) headers['X-Amzn-SageMaker-Custom-Attributes'] = opts.attributes;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(65_000) });
    } catch (err) {
      if (networkErrorCode(err)) {
        throw new CliError(`cannot reach ${url}; is the container serving? start it with \`slipway local serve IMAGE --model DIR\``, EXIT.usage);
      }
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new CliError(`POST ${url}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
    }
    const data = new Uint8Array(await res.arrayBuffer());
    if (g.json) {
      out.json({ status: res.status, contentType: res.headers.get('content-type'), body: Buffer.from(data).toString('utf8') });
    } else if (res.ok) {
      writeBody(out, data);
    } else {
      process.stderr.write(`${res.status} ${res.statusText}\n${Buffer.from(data).toString('utf8')}`);
    }
    if (!res.ok) process.exitCode = EXIT.failed;
    return;
  }
  const { runtime, url } = createClients(g);
  const res = await call(url, () =>
    runtime.send(
      new InvokeEndpointCommand({
        EndpointName: target,
        Body: body,
        ContentType: contentType,
        Accept: opts.accept,
        CustomAttributes: opts.attributes,
        TargetVariant: opts.variant,
      }),
    ),
  );
  const data = res.Body ?? new Uint8Array();
  if (g.json) {
    out.json({
      contentType: res.ContentType,
      invokedProductionVariant: res.InvokedProductionVariant,
      customAttributes: res.CustomAttributes,
      body: Buffer.from(data).toString('utf8'),
    });
  } else {
    writeBody(out, data);
    if (res.InvokedProductionVariant) out.info(out.c.dim(`(variant ${res.InvokedProductionVariant}, ${res.ContentType ?? 'no content type'})`));
  }
}

function writeBody(out: Output, data: Uint8Array): void {
  out.raw(data);
  if (data.length > 0 && data[data.length - 1] !== 0x0a && process.stdout.isTTY) out.raw('\n');
}
