/**
 * Acceptance 1 of issue 7: `slipway local train` + `local serve` + `predict` reproduce the
 * decision-tree example's train_local.sh / serve_local.sh / predict.sh flow, Docker only.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/server-process.js';
import { REPO, buildImage, containerExists, runCli, spawnCli } from './cli-harness.js';

const IMAGE = 'decision-trees';
const PAYLOAD = join(REPO, 'examples/decision-trees/payload.csv');
let work: string;

beforeAll(async () => {
  await buildImage(IMAGE, join(REPO, 'examples/decision-trees'));
  work = mkdtempSync(join(tmpdir(), 'slipway-cli-local-'));
  mkdirSync(join(work, 'empty'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('slipway local train / local serve / predict', () => {
  it('trains the example on the README\'s folder and leaves model/ and the contract config files in --output', async () => {
    // Exactly the README's `--data training=examples/decision-trees/data`: the folder holds only training rows (issue #14).
    const r = await runCli(['local', 'train', IMAGE, '--data', 'training=examples/decision-trees/data', '--hp', 'max_leaf_nodes=5', '--output', join(work, 'out')], { cwd: REPO });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Training complete.');
    expect(r.stdout).toMatch(/model: .*decision-tree-model\.pkl/);
    expect(readFileSync(join(work, 'out/model/decision-tree-model.pkl')).length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(work, 'out/input/config/hyperparameters.json'), 'utf8'))).toEqual({ max_leaf_nodes: '5' });
    expect(JSON.parse(readFileSync(join(work, 'out/input/config/inputdataconfig.json'), 'utf8'))).toEqual({
      training: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    });
    expect(JSON.parse(readFileSync(join(work, 'out/input/config/resourceconfig.json'), 'utf8'))).toMatchObject({ current_host: 'algo-1', hosts: ['algo-1'] });
  });

  it('serves the trained model, answers predict with one label per row, and stops cleanly on SIGTERM', async () => {
    const serve = spawnCli(['local', 'serve', IMAGE, '--model', join(work, 'out/model'), '--port', '0']);
    try {
      const [, url] = await serve.waitForStdout(/Serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/, 120_000);
      const ok = await runCli(['predict', url!, PAYLOAD, 'text/csv']);
      expect(ok.code, ok.stderr).toBe(0);
      const labels = ok.stdout.trim().split('\n');
      const rows = readFileSync(PAYLOAD, 'utf8').trim().split('\n');
      expect(labels).toHaveLength(rows.length);
      for (const l of labels) expect(['setosa', 'versicolor', 'virginica']).toContain(l);

      const wrongType = await runCli(['predict', url!, PAYLOAD, 'application/json']);
      expect(wrongType.code).toBe(1);
      expect(wrongType.stderr).toMatch(/415/);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    const name = /stopping (slipway-local-serve-[0-9a-f]+)/.exec(serve.stderr())?.[1];
    expect(name, serve.stderr()).toBeDefined();
    expect(await containerExists(name!)).toBe(false);
  });

  it('reports a failed train with its failure file and exit code 1', async () => {
    const r = await runCli(['local', 'train', IMAGE, '--data', join(work, 'empty'), '--output', join(work, 'out-fail')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train exited 255/);
    expect(r.stderr).toMatch(/There are no CSV files/);
  });

  it('predict to a URL where nothing listens exits 2 and says how to start a container', async () => {
    const port = await freePort();
    const r = await runCli(['predict', `http://127.0.0.1:${port}`, PAYLOAD]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}/invocations`);
    expect(r.stderr).toContain('slipway local serve');
  });

  it('names a missing image and how to build it', async () => {
    const r = await runCli(['local', 'serve', 'slipway-test/does-not-exist-7', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not in the local Docker engine; build it first/);
  });
});
