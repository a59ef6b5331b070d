import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseCredentialsFile } from './config.js';

const home = mkdtempSync(join(tmpdir(), 'slipway-config-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('authentication settings', () => {
  it('leave authentication off when no credentials are configured', () => {
    expect(loadConfig({ home }, {}).auth).toBeUndefined();
  });

  it('turn it on with the environment pair', () => {
    const c = loadConfig({ home }, { SLIPWAY_ACCESS_KEY_ID: 'AKID1', SLIPWAY_SECRET_ACCESS_KEY: 's1' });
    expect([...c.auth!.credentials]).toEqual([['AKID1', 's1']]);
  });

  it('refuse to start with only half of the pair', () => {
    expect(() => loadConfig({ home }, { SLIPWAY_ACCESS_KEY_ID: 'AKID1' })).toThrow(/SLIPWAY_SECRET_ACCESS_KEY is not/);
    expect(() => loadConfig({ home }, { SLIPWAY_SECRET_ACCESS_KEY: 's1' })).toThrow(/SLIPWAY_ACCESS_KEY_ID is not/);
  });

  it('add the users of SLIPWAY_CREDENTIALS_FILE, and refuse a missing or malformed file', () => {
    const file = join(home, 'creds');
    writeFileSync(file, '# users\nAKIDA secretA\n\n  AKIDB   secretB  \n');
    const c = loadConfig({ home }, { SLIPWAY_CREDENTIALS_FILE: file, SLIPWAY_ACCESS_KEY_ID: 'AKID1', SLIPWAY_SECRET_ACCESS_KEY: 's1' });
    expect(Object.fromEntries(c.auth!.credentials)).toEqual({ AKID1: 's1', AKIDA: 'secretA', AKIDB: 'secretB' });
    expect(() => loadConfig({ home }, { SLIPWAY_CREDENTIALS_FILE: join(home, 'nope') })).toThrow(/cannot be read/);
    expect(() => parseCredentialsFile('AKIDA secretA extra\n', 'f')).toThrow(/f line 1/);
    expect(() => parseCredentialsFile('# nothing\n', 'f')).toThrow(/no credentials/);
  });

  it('take credentials passed in by the caller (tests)', () => {
    expect(loadConfig({ home, credentials: { K: 'S' } }, {}).auth!.credentials.get('K')).toBe('S');
  });
});

describe('autoscaling interval', () => {
  it('defaults to 60 s, reads SLIPWAY_AUTOSCALING_INTERVAL_SECONDS and refuses nonsense', () => {
    expect(loadConfig({}, {}).autoscalingIntervalSeconds).toBe(60);
    expect(loadConfig({}, { SLIPWAY_AUTOSCALING_INTERVAL_SECONDS: '2' }).autoscalingIntervalSeconds).toBe(2);
    expect(() => loadConfig({}, { SLIPWAY_AUTOSCALING_INTERVAL_SECONDS: '0' })).toThrow(/SLIPWAY_AUTOSCALING_INTERVAL_SECONDS/);
    expect(() => loadConfig({}, { SLIPWAY_AUTOSCALING_INTERVAL_SECONDS: 'soon' })).toThrow(/SLIPWAY_AUTOSCALING_INTERVAL_SECONDS/);
  });
});

describe('serverless settings', () => {
  it('default to 300 s idle and a 60 s cold-start timeout, read the environment and refuse nonsense', () => {
    expect(loadConfig({}, {}).serverless).toEqual({ idleSeconds: 300, coldStartTimeoutSeconds: 60 });
    expect(loadConfig({}, { SLIPWAY_SERVERLESS_IDLE_SECONDS: '2', SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS: '5' }).serverless).toEqual({ idleSeconds: 2, coldStartTimeoutSeconds: 5 });
    expect(loadConfig({ serverless: { idleSeconds: 1 } }, {}).serverless.idleSeconds).toBe(1);
    expect(() => loadConfig({}, { SLIPWAY_SERVERLESS_IDLE_SECONDS: '-1' })).toThrow(/SLIPWAY_SERVERLESS_IDLE_SECONDS/);
    expect(() => loadConfig({}, { SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS: 'never' })).toThrow(/SLIPWAY_SERVERLESS_COLD_START_TIMEOUT_SECONDS/);
  });
});

describe('cluster identity (SLIPWAY_CLUSTER_ID)', () => {
  it('is the data directory with one server, the database (without credentials) for replicas, or the setting', () => {
    expect(loadConfig({ home: '/data/a' }, {}).clusterId).toBe('/data/a');
    const a = loadConfig({ home: '/data/a' }, { SLIPWAY_DATABASE_URL: 'postgres://alice:pw1@db.example:5433/slipway?sslmode=require' });
    const b = loadConfig({ home: '/data/b' }, { SLIPWAY_DATABASE_URL: 'postgresql://bob:pw2@db.example:5433/slipway' });
    expect(a.clusterId).toBe('postgres://db.example:5433/slipway');
    expect(b.clusterId).toBe(a.clusterId);
    expect(a.clusterId).not.toContain('pw1');
    expect(loadConfig({ home: '/data/a' }, { SLIPWAY_DATABASE_URL: 'postgres://db/x', SLIPWAY_CLUSTER_ID: 'prod' }).clusterId).toBe('prod');
  });
});
