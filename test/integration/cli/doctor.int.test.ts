/**
 * Acceptance 2 of issue 7: `slipway doctor` passes the decision-tree example and, for five
 * deliberately broken images (test/fixtures/images/broken/), reports the right failure with its
 * fix and exits 1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, buildImage, runCli, spawnCli } from './cli-harness.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';

interface Finding {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  title: string;
  detail?: string;
  fix?: string;
}

const PAYLOAD = join(REPO, 'examples/decision-trees/payload.csv');
const BROKEN = ['no-serve-exec', 'crlf-script', 'ping-never-200', 'wrong-model-dir', 'ignores-sigterm'] as const;
let data: string;

beforeAll(async () => {
  await buildImage('decision-trees', join(REPO, 'examples/decision-trees'));
  for (const b of BROKEN) await buildImage(`slipway-test/broken-${b}`, join(REPO, 'test/fixtures/images/broken', b));
  data = mkdtempSync(join(tmpdir(), 'slipway-cli-doctor-'));
  mkdirSync(join(data, 'train'));
  copyFileSync(join(REPO, 'examples/decision-trees/data/iris.csv'), join(data, 'train/iris.csv'));
});

afterAll(() => {
  if (data) rmSync(data, { recursive: true, force: true });
});

async function doctor(image: string, extra: string[] = []) {
  const r = await runCli(['--json', 'doctor', image, '--data', join(data, 'train'), '--ping-timeout', '15', '--grace', '5', ...extra]);
  let report: { ok: boolean; findings: Finding[] };
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`doctor --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, failed: report.findings.filter((f) => f.status === 'fail') };
}

describe('slipway doctor', () => {
  it('removes the containers it started when it is interrupted', async () => {
    const runtime = new DockerRuntime();
    const cli = spawnCli(['doctor', 'decision-trees', '--no-color']);
    const mine = async () => runtime.listContainers({ 'slipway.cli-pid': String(cli.child.pid) }, { all: true });
    const deadline = Date.now() + 60_000;
    let started: string[] = [];
    while (!started.some((n) => n.startsWith('slipway-local-serve-')) && Date.now() < deadline) {
      started = (await mine()).map((c) => c.name);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(started.filter((n) => n.startsWith('slipway-local-serve-'))).toHaveLength(1);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(143);
    expect(await mine()).toEqual([]);
  });

  it('without --data, warns after a short wait that serve had no model instead of failing', async () => {
    const t0 = Date.now();
    const r = await runCli(['--json', 'doctor', 'decision-trees', '--grace', '5']);
    const report = JSON.parse(r.stdout) as { findings: Finding[] };
    const ping = report.findings.find((f) => f.id === 'serve.ping');
    expect(ping).toMatchObject({ status: 'warn', fix: expect.stringMatching(/--data DIR/) });
    expect(report.findings.filter((f) => f.status === 'fail')).toEqual([]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('passes the decision-tree example, including the sample payload and SIGTERM', async () => {
    const { code, report, failed } = await doctor('decision-trees', ['--hp', 'max_leaf_nodes=5', '--payload', PAYLOAD, '--content-type', 'text/csv']);
    expect(failed).toEqual([]);
    expect(code).toBe(0);
    const status = Object.fromEntries(report.findings.map((f) => [f.id, f.status]));
    expect(status).toMatchObject({
      'image.architecture': 'pass',
      'image.entrypoint': 'pass',
      'train.resolvable': 'pass',
      'serve.resolvable': 'pass',
      'train.model': 'pass',
      'train.failure-file': 'pass',
      'train.hyperparameters': 'pass',
      'serve.ping': 'pass',
      'serve.invocations': 'pass',
      'serve.unsupported-type': 'pass',
      'serve.sigterm': 'pass',
    });
  });

  const cases: { image: (typeof BROKEN)[number]; id: string; detail: RegExp; fix: RegExp }[] = [
    { image: 'no-serve-exec', id: 'serve.resolvable', detail: /not executable/, fix: /chmod \+x/ },
    { image: 'crlf-script', id: 'serve.line-endings', detail: /CRLF/, fix: /sed -i 's\/\\r\$\/\/'|eol=lf/ },
    { image: 'ping-never-200', id: 'serve.ping', detail: /answered 500 \(never 200\)/, fix: /answer GET \/ping with 200/ },
    { image: 'wrong-model-dir', id: 'train.model', detail: /\/opt\/ml\/models\/model\.txt/, fix: /\/opt\/ml\/model/ },
    { image: 'ignores-sigterm', id: 'serve.sigterm', detail: /still running 5s after SIGTERM/, fix: /exec/ },
  ];
  for (const c of cases) {
    it(`reports ${c.id} with its fix for the ${c.image} image and exits 1`, async () => {
      const { code, failed } = await doctor(`slipway-test/broken-${c.image}`);
      expect(code).toBe(1);
      const f = failed.find((x) => x.id === c.id);
      expect(f, JSON.stringify(failed, null, 2)).toBeDefined();
      expect(f!.detail).toMatch(c.detail);
      expect(f!.fix).toMatch(c.fix);
    });
  }

  it('prints a readable report with FAIL lines and fixes when not in --json mode', async () => {
    const r = await runCli(['doctor', 'slipway-test/broken-wrong-model-dir', '--data', join(data, 'train'), '--ping-timeout', '15', '--grace', '5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}train writes the model to \/opt\/ml\/model/);
    expect(r.stdout).toMatch(/fix: save the model under \/opt\/ml\/model/);
    expect(r.stdout).toMatch(/\d+ passed, \d+ warnings?, 1 failed/);
  });
});
