/**
 * A whole Slipway on PostgreSQL (SLIPWAY_DATABASE_URL): resources made through the SDKs are in
 * PostgreSQL, not the local SQLite file, and are found again after a restart; a database that
 * cannot be used stops start-up with a message that names the setting.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AddTagsCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
} from '@aws-sdk/client-sagemaker';
import { startSlipway } from '../../../src/server/app.js';
import { buildFixtureImage } from '../../fixtures/images/build.js';
import { pythonJson } from '../../helpers/python.js';
import { postgresUnavailable, usePostgres } from '../../helpers/postgres.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { baseJob, clients, createJob, describe as describeJob, makeBucket, ROLE, uniq, waitFor } from '../training/helpers.js';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe.skipIf(postgresUnavailable())('Slipway on PostgreSQL', () => {
  const postgres = usePostgres();
  let noop: string;
  let srv: TestServer | undefined;
  beforeAll(async () => {
    noop = await buildFixtureImage('noop');
  });
  afterAll(async () => {
    await srv?.cleanup();
  });

  it('keeps models, endpoint configs, training jobs, tags, logs and IAM roles in PostgreSQL across a restart', async () => {
    const databaseUrl = await postgres.freshDatabase();
    srv = await startTestServer({ databaseUrl });
    let { sm, s3 } = clients(srv.url);
    const bucket = await makeBucket(s3);
    const model = uniq('pg-model');
    const config = uniq('pg-config');
    const job = uniq('pg-job');
    const modelArn = (await sm.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: noop } }))).ModelArn!;
    await sm.send(new AddTagsCommand({ ResourceArn: modelArn, Tags: [{ Key: 'store', Value: 'postgres' }] }));
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: config,
        ProductionVariants: [{ VariantName: 'v', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      }),
    );
    await createJob(sm, baseJob(job, noop, bucket));
    expect((await waitFor(sm, job)).TrainingJobStatus).toBe('Completed');
    const role = await pythonJson<{ arn: string }>(
      srv.url,
      `import json, os, boto3
iam = boto3.client('iam', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
print(json.dumps({'arn': iam.create_role(RoleName='PgRole', AssumeRolePolicyDocument=${JSON.stringify(TRUST)})['Role']['Arn']}))`,
    );

    // The rows are in PostgreSQL.
    const kinds = (await rows(databaseUrl, 'SELECT kind, name FROM resources ORDER BY kind')).map((r) => `${r.kind}:${r.name}`);
    expect(kinds).toEqual(expect.arrayContaining([`model:${model}`, `endpoint-config:${config}`, `training-job:${job}`]));
    expect(await rows(databaseUrl, "SELECT name FROM iam_roles WHERE name = 'PgRole'")).toHaveLength(1);
    const srvNow: TestServer = srv;
    srv = await srvNow.restart();
    // Object metadata too (the job's model.tar.gz): no local SQLite file is made at all.
    expect(await rows(databaseUrl, `SELECT key FROM s3_objects WHERE bucket = '${bucket}' AND key = 'output/${job}/output/model.tar.gz'`)).toHaveLength(1);
    expect(existsSync(join(srv.home, 'slipway.db'))).toBe(false);

    ({ sm } = clients(srv.url));
    const { logs } = clients(srv.url);
    expect((await sm.send(new DescribeModelCommand({ ModelName: model }))).PrimaryContainer?.Image).toBe(noop);
    expect((await sm.send(new ListTagsCommand({ ResourceArn: modelArn }))).Tags).toEqual([{ Key: 'store', Value: 'postgres' }]);
    expect((await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: config }))).ProductionVariants?.[0]?.ModelName).toBe(model);
    const described = await describeJob(sm, job);
    expect(described.TrainingJobStatus).toBe('Completed');
    expect(described.ModelArtifacts?.S3ModelArtifacts).toBe(`s3://${bucket}/output/${job}/output/model.tar.gz`);
    expect((await sm.send(new ListTrainingJobsCommand({ NameContains: job.toUpperCase() }))).TrainingJobSummaries?.map((s) => s.TrainingJobName)).toEqual([job]);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: job }));
    expect(streams.logStreams?.length).toBeGreaterThan(0);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamName: streams.logStreams![0]!.logStreamName!, startFromHead: true }));
    expect(events.events?.length).toBeGreaterThan(0);
    const after = await pythonJson<{ arn: string }>(
      srv.url,
      `import json, os, boto3
iam = boto3.client('iam', endpoint_url=os.environ['AWS_ENDPOINT_URL'])
print(json.dumps({'arn': iam.get_role(RoleName='pgrole')['Role']['Arn']}))`,
    );
    expect(after.arn).toBe(role.arn);
  });

  it('refuses to start on a database it cannot use, naming SLIPWAY_DATABASE_URL and the reason', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-badpg-'));
    try {
      const start = (databaseUrl: string) => startSlipway({ home, port: 0, host: '127.0.0.1', databaseUrl });
      await expect(start(postgres.server().url('no_such_database'))).rejects.toThrow(/SLIPWAY_DATABASE_URL: .*database "no_such_database" does not exist/);
      // Nothing listens on port 1: refused at once, and the password never appears in the message.
      const refused = await start('postgres://slipway:hunter2@127.0.0.1:1/db').then(
        () => undefined,
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/SLIPWAY_DATABASE_URL: .*ECONNREFUSED/);
      expect(refused).not.toContain('hunter2');
      await expect(start('mysql://u@127.0.0.1/db')).rejects.toThrow(/SLIPWAY_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
