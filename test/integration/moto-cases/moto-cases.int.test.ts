/**
 * moto's own SageMaker tests for tuning jobs, pipelines and model packages (issue 17's last
 * acceptance item), rewritten with inputs SageMaker accepts in test_moto_sagemaker_cases.py and run
 * with pytest and boto3 against a fresh server. The cases left out, and why, are in docs/tuning.md.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { runPython } from '../../helpers/python.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { clients, makeBucket } from '../training/helpers.js';

/** The cases of test_moto_sagemaker_cases.py, parametrized ones counted once per parameter set. */
const CASES = 28;
const MODULE = fileURLToPath(new URL('./test_moto_sagemaker_cases.py', import.meta.url));

describe("moto's SageMaker cases (tuning, pipelines, model packages) with boto3", () => {
  let srv: TestServer;
  let image: string;
  let bucket: string;
  beforeAll(async () => {
    image = await buildFixtureImage('noop');
    srv = await startTestServer();
    bucket = await makeBucket(clients(srv.url).s3);
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('every case passes', async () => {
    const script = `import sys, pytest\nsys.exit(pytest.main(["-q", "-p", "no:cacheprovider", ${JSON.stringify(MODULE)}]))\n`;
    let out = '';
    try {
      out = await runPython(srv.url, script, { env: { SLIPWAY_TEST_IMAGE: image, SLIPWAY_TEST_BUCKET: bucket }, timeoutMs: 420_000 });
    } catch (err) {
      expect.fail(String(err));
    }
    // Every case ran (none skipped or deselected) and passed.
    const summary = out.trim().split('\n').at(-1) ?? '';
    expect(summary).toMatch(/^\d+ passed in /);
    expect(Number(/^(\d+) passed/.exec(summary)?.[1])).toBe(CASES);
  }, 480_000);
});
