/**
 * @module cli/commands/doctor — `slipway doctor IMAGE`: checks an image against the SageMaker
 * container contract and prints pass/warn/fail with the fix for each finding. Exit 1 on any fail.
 */
import type { Command } from 'commander';
import { EXIT, Output, collect, globalOptions, parseIntOption, parseKeyValues } from '../context.js';
import { summarize, type Finding } from '../doctor/findings.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { connectDocker, resolveLocalImage } from '../local/local-runner.js';

interface DoctorCliOptions {
  data?: string[];
  hp?: string[];
  env?: string[];
  model?: string;
  payload?: string;
  contentType?: string;
  accept?: string;
  pingTimeout: number;
  grace: number;
}

const GROUP_TITLES: Record<Finding['group'], string> = { image: 'Image', train: 'Training (docker run IMAGE train)', serve: 'Serving (docker run IMAGE serve)' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check a local image against the SageMaker training and hosting contract; prints the fix for each problem')
    .argument('<image>', 'local Docker image (name[:tag])')
    .option('-d, --data <channel=dir>', 'sample training data (bare DIR = channel "training"), repeatable; runs train', collect)
    .option('--hp <key=value>', 'hyperparameter for the train run, repeatable', collect)
    .option('-e, --env <key=value>', 'environment variable, repeatable', collect)
    .option('-m, --model <dir>', 'model folder for the serve checks (default: what train wrote, else empty)')
    .option('--payload <file>', 'sample request for POST /invocations')
    .option('-t, --content-type <type>', 'Content-Type of --payload', 'application/octet-stream')
    .option('--accept <type>', 'Accept header for --payload')
    .option('--ping-timeout <seconds>', 'how long /ping may take to answer 200 (SageMaker: 240)', parseIntOption('--ping-timeout'), 240)
    .option('--grace <seconds>', 'how long serve may take to exit after SIGTERM (SageMaker: 30)', parseIntOption('--grace'), 30)
    .addHelpText(
      'after',
      '\nExample:\n  slipway doctor decision-trees --data ./data/train --hp max_leaf_nodes=5 \\\n    --payload payload.csv --content-type text/csv\n',
    )
    .action(async (imageRef: string, opts: DoctorCliOptions, cmd: Command) => {
      const out = new Output(globalOptions(cmd));
      const runtime = await connectDocker();
      const resolved = await resolveLocalImage(runtime, imageRef);
      const task = out.task(`checking ${resolved.local}`);
      let findings: Finding[];
      try {
        findings = await runDoctor(
          runtime,
          resolved,
          {
            data: opts.data,
            hyperparameters: parseKeyValues(opts.hp, 'hyperparameter key=value'),
            env: parseKeyValues(opts.env, 'environment KEY=value'),
            model: opts.model,
            payload: opts.payload,
            contentType: opts.contentType,
            accept: opts.accept,
            pingTimeoutSeconds: opts.pingTimeout,
            graceSeconds: opts.grace,
          },
          task,
        );
      } finally {
        task.stop();
      }
      const summary = summarize(findings);
      if (out.opts.json) {
        out.json({ image: resolved.local, ok: summary.fail === 0, summary, findings });
      } else {
        out.print(renderReport(out, resolved.local, findings, summary));
      }
      if (summary.fail > 0) process.exitCode = EXIT.failed;
    });
}

function renderReport(out: Output, image: string, findings: Finding[], summary: ReturnType<typeof summarize>): string {
  const c = out.c;
  const mark: Record<Finding['status'], string> = {
    pass: c.green('PASS'),
    warn: c.yellow('WARN'),
    fail: c.red('FAIL'),
    skip: c.dim('SKIP'),
  };
  const lines = [c.bold(`slipway doctor ${image}`)];
  for (const group of ['image', 'train', 'serve'] as const) {
    const fs = findings.filter((f) => f.group === group);
    if (fs.length === 0) continue;
    lines.push('', c.bold(GROUP_TITLES[group]));
    for (const f of fs) {
      const detail = f.detail ? ` ${c.dim('—')} ${f.detail.split('\n')[0]}` : '';
      lines.push(`  ${mark[f.status]}  ${f.title}${detail}`);
      for (const extra of f.detail?.split('\n').slice(1) ?? []) lines.push(c.dim(`      ${extra}`));
      if (f.fix && (f.status === 'fail' || f.status === 'warn')) lines.push(`        ${c.cyan('fix:')} ${f.fix}`);
    }
  }
  const parts = [`${summary.pass} passed`, `${summary.warn} warning${summary.warn === 1 ? '' : 's'}`, `${summary.fail} failed`];
  if (summary.skip) parts.push(`${summary.skip} skipped`);
  lines.push('', `${summary.fail ? c.red('✖') : c.green('✔')} ${parts.join(', ')}`);
  return lines.join('\n');
}
