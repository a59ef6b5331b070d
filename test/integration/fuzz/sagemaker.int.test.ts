/**
 * Fuzz suite, SageMaker (JSON 1.1): for every operation the SageMaker operation table routes, the
 * model-driven mutations of a valid seed and malformed bodies. Every answer must be a typed 4xx
 * (`__type` and X-Amzn-ErrorType agreeing, a request id) or, for input that is still valid, a
 * success; a refused Create* leaves no record, listing, log group or container behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sageMakerOperations } from '../../../src/services/sagemaker/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { buildModelServer } from '../hosting/helpers.js';
import { loadAwsModel } from './aws-model.js';
import { jsonWire } from './doc-cases.js';
import { fuzzOperation } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { sageMakerFixtures, setUp, tearDown } from './sagemaker-fixtures.js';
import { closeSession, defineFixtureCoverage, defineOperationSweep, sweepRun } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('sagemaker');
/** The implemented operations: what the operation table routes (its handlers are never called here). */
const ROUTED = Object.keys(sageMakerOperations({} as never));
const wire = jsonWire('SageMaker', '1.1');
const session = new FuzzSession('sagemaker', 'json', 25_000);

/** The cheap operation that also gets the oversized body and the HTTP-level edge cases. */
const EDGE_OP = 'ListModels';

describe('fuzz: SageMaker (JSON 1.1)', () => {
  let server: TestServer;
  let fixtures: ReturnType<typeof sageMakerFixtures>;
  let env: { base: string; home: string; servingImage: string };

  beforeAll(async () => {
    const servingImage = await buildModelServer();
    server = await startTestServer();
    env = { base: server.url, home: server.home, servingImage };
    fixtures = sageMakerFixtures(env);
    await setUp(env);
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    if (env) await tearDown(env).catch(() => undefined);
    await server?.cleanup();
  });

  defineFixtureCoverage(ROUTED, model, sageMakerFixtures({ base: '', home: '', servingImage: '' }), 21);

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation answers a typed 4xx or succeeds, and a refusal leaves nothing behind',
    fuzz: (op, i) => fuzzOperation(sweepRun({ session, base: server.url, wire, model, cap: 80, ops: ROUTED, edgeOp: EDGE_OP }, op, i, fixtures[op]!)),
  });
});
