/**
 * Fuzz suite, IAM (query protocol): every routed operation with the model-driven mutations,
 * malformed bodies and, on a cheap operation, the HTTP-level edges. Every answer is a typed
 * `<ErrorResponse>` 4xx or a success; a refused CreateRole leaves no role behind, an accepted one
 * is deleted again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamOperations } from '../../../src/services/iam/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadAwsModel } from './aws-model.js';
import { queryWire, TOKEN } from './doc-cases.js';
import { fuzzOperation, type OpFixture } from './op-suite.js';
import { FuzzSession } from './runner.js';
import { closeSession, defineFixtureCoverage, defineOperationSweep, sweepRun } from './sweep.js';
import { closeConnections, send } from './wire.js';
import type { Doc } from './seed-values.js';

const model = await loadAwsModel('iam');
const ROUTED = Object.keys(iamOperations({} as never));
const wire = queryWire(model, 'iam');
const session = new FuzzSession('iam', 'query', 20_000);

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const INLINE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] });
const MANAGED = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
/** The role every non-creating operation works on (made in beforeAll). */
const ROLE = 'fz-role';

async function call(base: string, op: string, doc: { [k: string]: Doc }): Promise<{ status: number; body: string }> {
  const res = await send(base, wire.request(op, wire.encode(op, doc)));
  return { status: res.status, body: res.body.toString('utf8') };
}

function fixtures(base: string): Record<string, OpFixture> {
  const roleGone = async (t: string) => ((await call(base, 'GetRole', { RoleName: t })).status === 404 ? [] : [`role ${t} exists after a refused CreateRole`]);
  const deleteRole = async (t: string) => {
    await call(base, 'DeleteRole', { RoleName: t });
  };
  // Idempotent set-up for operations whose seed consumes what it needs.
  const ensure = (op: string, doc: { [k: string]: Doc }) => async () => {
    await call(base, op, doc);
  };
  return {
    CreateRole: {
      seed: () => ({ RoleName: TOKEN, Path: '/fz/', AssumeRolePolicyDocument: TRUST, Description: 'fuzz', MaxSessionDuration: 3600, Tags: [{ Key: 'k', Value: 'v' }] }),
      hooks: { refused: roleGone, accepted: deleteRole },
    },
    GetRole: { seed: () => ({ RoleName: ROLE }) },
    ListRoles: { seed: () => ({ PathPrefix: '/', MaxItems: 10 }) },
    DeleteRole: { prepare: ensure('CreateRole', { RoleName: 'fz-del', AssumeRolePolicyDocument: TRUST }), seed: () => ({ RoleName: 'fz-del' }) },
    UpdateRole: { seed: () => ({ RoleName: ROLE, Description: 'd', MaxSessionDuration: 7200 }) },
    UpdateRoleDescription: { seed: () => ({ RoleName: ROLE, Description: 'd' }) },
    UpdateAssumeRolePolicy: { seed: () => ({ RoleName: ROLE, PolicyDocument: TRUST }) },
    TagRole: { seed: () => ({ RoleName: ROLE, Tags: [{ Key: 'a', Value: 'b' }] }) },
    UntagRole: { seed: () => ({ RoleName: ROLE, TagKeys: ['a'] }) },
    ListRoleTags: { seed: () => ({ RoleName: ROLE, MaxItems: 5 }) },
    PutRolePolicy: { seed: () => ({ RoleName: ROLE, PolicyName: 'p', PolicyDocument: INLINE }) },
    GetRolePolicy: { prepare: ensure('PutRolePolicy', { RoleName: ROLE, PolicyName: 'p', PolicyDocument: INLINE }), seed: () => ({ RoleName: ROLE, PolicyName: 'p' }) },
    DeleteRolePolicy: { prepare: ensure('PutRolePolicy', { RoleName: ROLE, PolicyName: 'gone', PolicyDocument: INLINE }), seed: () => ({ RoleName: ROLE, PolicyName: 'gone' }) },
    ListRolePolicies: { seed: () => ({ RoleName: ROLE }) },
    AttachRolePolicy: { seed: () => ({ RoleName: ROLE, PolicyArn: MANAGED }) },
    DetachRolePolicy: { prepare: ensure('AttachRolePolicy', { RoleName: ROLE, PolicyArn: MANAGED }), seed: () => ({ RoleName: ROLE, PolicyArn: MANAGED }) },
    ListAttachedRolePolicies: { seed: () => ({ RoleName: ROLE, PathPrefix: '/' }) },
  };
}

describe('fuzz: IAM (query)', () => {
  let server: TestServer;
  let table: Record<string, OpFixture>;

  beforeAll(async () => {
    server = await startTestServer();
    table = fixtures(server.url);
    const made = await call(server.url, 'CreateRole', { RoleName: ROLE, AssumeRolePolicyDocument: TRUST });
    if (made.status !== 200) throw new Error(`fixture role not created: ${made.body}`);
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
    claim: 'every mutation and bad query string answers a typed 4xx or succeeds',
    // Query-protocol bodies are form-encoded: a 1 MiB one is already far past IAM's limits.
    fuzz: (op, i) => fuzzOperation(sweepRun({ session, base: server.url, wire, model, cap: 40, ops: ROUTED, edgeOp: 'ListRoles', hugeBytes: 1024 * 1024 }, op, i, table[op]!)),
  });
});
