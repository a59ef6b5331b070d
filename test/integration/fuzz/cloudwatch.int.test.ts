/**
 * Fuzz suite, CloudWatch metrics: every routed operation on each of the three wire protocols
 * CloudWatch clients speak (RPC v2 CBOR, JSON 1.0, query), with the model-driven mutations and
 * malformed bodies. Every answer is a typed 4xx in that protocol's format or, for input that is
 * still valid, a success; a refused PutMetricData records nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudWatchOperations, CLOUDWATCH_SERVICE } from '../../../src/services/cloudwatch/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { cborWire, jsonWire, queryWire, TOKEN, type DocWire } from './doc-cases.js';
import { fuzzOperation, type OpFixture } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { jsonCall } from './state.js';
import { closeSession, defineFixtureCoverage, defineOperationSweep, sweepRun } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('cloudwatch');
const ROUTED = Object.keys(cloudWatchOperations({} as never));

const WIRES: { name: string; wire: DocWire }[] = [
  { name: 'cloudwatch-cbor', wire: cborWire(model, CLOUDWATCH_SERVICE) },
  { name: 'cloudwatch-json', wire: jsonWire(CLOUDWATCH_SERVICE, '1.0') },
  { name: 'cloudwatch-query', wire: queryWire(model, 'monitoring') },
];

function fixtures(base: string): Record<string, OpFixture> {
  const now = Math.floor(Date.now() / 1000);
  const window = { StartTime: now - 3600, EndTime: now };
  return {
    GetMetricStatistics: {
      seed: () => ({ Namespace: 'Fuzz', MetricName: 'm', ...window, Period: 60, Statistics: ['Sum'] }),
    },
    GetMetricData: {
      seed: () => ({ MetricDataQueries: [{ Id: 'q1', MetricStat: { Metric: { Namespace: 'Fuzz', MetricName: 'm' }, Period: 60, Stat: 'Sum' } }], ...window }),
    },
    ListMetrics: { seed: () => ({}) },
    PutMetricData: {
      seed: () => ({ Namespace: `Fuzz/${TOKEN}`, MetricData: [{ MetricName: 'm', Value: 1 }] }),
      hooks: {
        refused: async (t) => {
          const r = await jsonCall(base, `${CLOUDWATCH_SERVICE}.ListMetrics`, { Namespace: `Fuzz/${t}` }, '1.0');
          return ((r.body.Metrics as unknown[]) ?? []).length > 0 ? [`metrics of Fuzz/${t} were recorded by a refused PutMetricData`] : [];
        },
      },
    },
  };
}

/** The cheap operation that also gets the oversized body and the HTTP-level edge cases. */
const EDGE_OP = 'ListMetrics';

describe('fuzz: CloudWatch metrics (RPC v2 CBOR, JSON 1.0, query)', () => {
  let server: TestServer;
  let table: Record<string, OpFixture>;

  beforeAll(async () => {
    server = await startTestServer();
    table = fixtures(server.url);
  });

  afterAll(async () => {
    closeConnections();
    await server?.cleanup();
  });

  defineFixtureCoverage(ROUTED, model, fixtures(''));

  WIRES.forEach(({ name, wire }, w) => {
    describe(name, () => {
      const session = new FuzzSession(name, wire.protocol, 7_000);
      afterAll(() => closeSession(session));

      defineOperationSweep({
        session,
        ops: ROUTED,
        claim: 'every mutation answers a typed 4xx or succeeds, and a refusal records nothing',
        fuzz: (op, i) =>
          fuzzOperation(sweepRun({ session, base: server.url, wire, model, cap: 120, ops: ROUTED, edgeOp: EDGE_OP, indexBase: w * 100 }, op, i, table[op]!)),
      });
    });
  });
});
