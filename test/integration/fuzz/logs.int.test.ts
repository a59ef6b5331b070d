/**
 * Fuzz suite, CloudWatch Logs (JSON 1.1): every operation the Logs operation table routes, its
 * model-driven mutations and malformed bodies. Every answer is a typed 4xx or, for input that is
 * still valid, a success; a refused CreateLogGroup/CreateLogStream leaves nothing listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsOperations } from '../../../src/services/logs/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { jsonWire, TOKEN } from './doc-cases.js';
import { fuzzOperation, type OpFixture } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { jsonCall, mustCall } from './state.js';
import { closeSession, defineFixtureCoverage, defineOperationSweep, sweepRun } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('logs');
const ROUTED = Object.keys(logsOperations({} as never));
const wire = jsonWire('Logs_20140328', '1.1');
const session = new FuzzSession('logs', 'json', 10_000);

const GROUP = '/fuzz/base-group';
const STREAM = 'base-stream';

function fixtures(base: string): Record<string, OpFixture> {
  const logs = (op: string, body: unknown) => jsonCall(base, `Logs_20140328.${op}`, body);
  const must = (op: string, body: unknown) => mustCall(base, `Logs_20140328.${op}`, body);
  const listed = async (op: string, body: unknown, key: string) => ((await logs(op, body)).body[key] as unknown[] | undefined)?.length ?? 0;
  return {
    CreateLogGroup: {
      seed: () => ({ logGroupName: `/fuzz/${TOKEN}` }),
      hooks: {
        accepted: async (t) => void (await logs('DeleteLogGroup', { logGroupName: `/fuzz/${t}` })),
        refused: async (t) => ((await listed('DescribeLogGroups', { logGroupNamePrefix: `/fuzz/${t}` }, 'logGroups')) > 0 ? [`log group /fuzz/${t} exists after the refusal`] : []),
      },
    },
    CreateLogStream: {
      seed: () => ({ logGroupName: GROUP, logStreamName: TOKEN }),
      hooks: {
        accepted: async (t) => void (await logs('DeleteLogStream', { logGroupName: GROUP, logStreamName: t })),
        refused: async (t) => ((await listed('DescribeLogStreams', { logGroupName: GROUP, logStreamNamePrefix: t }, 'logStreams')) > 0 ? [`log stream ${t} exists after the refusal`] : []),
      },
    },
    DeleteLogGroup: {
      prepare: async () => void (await must('CreateLogGroup', { logGroupName: '/fuzz/deleted' })),
      seed: () => ({ logGroupName: '/fuzz/deleted' }),
    },
    DeleteLogStream: {
      prepare: async () => void (await must('CreateLogStream', { logGroupName: GROUP, logStreamName: 'deleted' })),
      seed: () => ({ logGroupName: GROUP, logStreamName: 'deleted' }),
    },
    PutRetentionPolicy: { seed: () => ({ logGroupName: GROUP, retentionInDays: 1 }) },
    DeleteRetentionPolicy: { seed: () => ({ logGroupName: GROUP }) },
    DescribeLogGroups: { seed: () => ({}) },
    DescribeLogStreams: { seed: () => ({ logGroupName: GROUP }) },
    GetLogEvents: { seed: () => ({ logGroupName: GROUP, logStreamName: STREAM }) },
    FilterLogEvents: { seed: () => ({ logGroupName: GROUP }) },
    PutLogEvents: { seed: () => ({ logGroupName: GROUP, logStreamName: STREAM, logEvents: [{ timestamp: Date.now(), message: 'fuzz event' }] }) },
  };
}

/** The cheap operation that also gets the oversized body and the HTTP-level edge cases. */
const EDGE_OP = 'DescribeLogGroups';

describe('fuzz: CloudWatch Logs (JSON 1.1)', () => {
  let server: TestServer;
  let table: Record<string, OpFixture>;

  beforeAll(async () => {
    server = await startTestServer();
    table = fixtures(server.url);
    await mustCall(server.url, 'Logs_20140328.CreateLogGroup', { logGroupName: GROUP });
    await mustCall(server.url, 'Logs_20140328.CreateLogStream', { logGroupName: GROUP, logStreamName: STREAM });
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    await server?.cleanup();
  });

  defineFixtureCoverage(ROUTED, model, fixtures(''));

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation answers a typed 4xx or succeeds, and a refusal leaves nothing behind',
    fuzz: (op, i) => fuzzOperation(sweepRun({ session, base: server.url, wire, model, cap: 100, ops: ROUTED, edgeOp: EDGE_OP }, op, i, table[op]!)),
  });
});
