/**
 * Fuzz suite, STS (query protocol): GetCallerIdentity, the one operation STS routes, with unknown
 * parameters, bad query strings (conflicting names, prototype keys, broken %-escapes, missing or
 * unknown Action, invalid UTF-8), malformed bodies and HTTP-level edges (huge headers, bad
 * Content-Length). Every answer is a typed `<ErrorResponse>` 4xx or a success.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stsOperations } from '../../../src/services/sts/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { authorizationFor, queryWire } from './doc-cases.js';
import { httpEdgeCases } from './http-edges.js';
import { fuzzOperation } from './op-suite.js';
import { FuzzSession, type FuzzCase } from './runner.js';
import { closeSession, defineOperationSweep } from './sweep.js';
import { closeConnections } from './wire.js';

const model = await loadAwsModel('sts');
const ROUTED = Object.keys(stsOperations({} as never));
const wire = queryWire(model, 'sts');
const session = new FuzzSession('sts', 'query', 5_000);

describe('fuzz: STS (query)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    closeSession(session);
    closeConnections();
    await server?.cleanup();
  });

  it('routes only operations of the official model', () => {
    expect(ROUTED.filter((op) => !model.operations[op])).toEqual([]);
  });

  defineOperationSweep({
    session,
    ops: ROUTED,
    claim: 'every mutation and bad query string answers a typed 4xx or succeeds',
    fuzz: (op, i) =>
      fuzzOperation({
        session,
        base: server.url,
        wire,
        model,
        op,
        fixture: { seed: () => ({}) },
        index: i + 1,
        opsLeft: ROUTED.length - i + 1,
        cap: 40,
        malformed: true,
        huge: { bytes: 1024 * 1024 },
      }),
  });

  it('answers GET query strings and HTTP-level edge cases with a typed 4xx or a success', async () => {
    const action = `Action=GetCallerIdentity&Version=${model.metadata.apiVersion}`;
    const headers = { authorization: authorizationFor('sts') };
    const get = (query: string, kind: string, expect: 'reject' | 'any'): FuzzCase => ({
      op: 'GetCallerIdentity',
      kind,
      where: '',
      detail: `GET /?${query.slice(0, 60)}`,
      expect,
      request: { method: 'GET', path: `/?${query}`, headers },
    });
    const cases: FuzzCase[] = [
      get(action, 'get-form', 'any'),
      get(`${action}&__proto__.fuzzPolluted=1`, 'prototype-key', 'any'),
      get(`${action}&A=1&A.B=2`, 'key-conflict', 'reject'),
      get(`${action}&N=%C3%28`, 'invalid-utf8', 'reject'),
      get('Version=2011-06-15', 'missing-action', 'reject'),
      get(`${action}&${'x'.repeat(8000)}=1`, 'long-name', 'any'),
      ...httpEdgeCases('GetCallerIdentity', wire.request('GetCallerIdentity', wire.encode('GetCallerIdentity', {}))),
    ];
    const failures = await session.run(server.url, cases, session.opDeadline(1));
    expect(failures, session.report(failures)).toEqual([]);
  });
});
