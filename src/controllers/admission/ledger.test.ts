import { describe, expect, it } from 'vitest';
import { instanceDemand } from '../../resources/demand.js';
import { decide, type Asking, type Claim } from './ledger.js';

const GiB = 1024 ** 3;
// A 2-core, 23.5 GiB host with the default ratios (16x CPU, 1.5x memory).
const capacity = { cpus: 32, memoryBytes: 23.5 * GiB * 1.5, gpus: 0 };
const m5large = instanceDemand('ml.m5.large', 1);
const huge = instanceDemand('ml.m5.24xlarge', 1);

const held = (key: string, demand = m5large, kind: Claim['kind'] = 'job', order = 0): Claim => ({ key, kind, order, demand, held: true });
const waiting = (key: string, order: number, demand = m5large, kind: Claim['kind'] = 'job'): Claim => ({ key, kind, order, demand, held: false });
const ask = (key: string, order: number, demand = m5large, kind: Asking['kind'] = 'job'): Asking => ({ key, kind, order, demand, what: 'test' });

describe('decide', () => {
  it('admits what fits beside what others hold', () => {
    const d = decide(capacity, [held('a'), held('b')], ask('c', 3));
    expect(d).toEqual({ admit: true, demand: m5large });
  });

  it('caps a demand larger than the host at the capacity, so it runs alone on an empty host', () => {
    expect(decide(capacity, [], ask('big', 1, huge))).toEqual({ admit: true, demand: { cpus: 32, memoryBytes: capacity.memoryBytes, gpus: 0 } });
    const d = decide(capacity, [held('small')], ask('big', 1, huge));
    expect(d).toMatchObject({ admit: false, wait: true });
  });

  it('makes a job wait, saying what it needs, what is free and who is ahead', () => {
    const d = decide(capacity, [held('big', huge), waiting('early', 1)], ask('late', 2));
    expect(d.admit).toBe(false);
    if (d.admit) return;
    expect(d.wait).toBe(true);
    expect(d.message).toMatch(/^Waiting for capacity on this host: the job needs 2 vCPUs, 8\.0 GiB \(test\); 0 vCPUs, 0\.0 GiB free of what this host admits 32 vCPUs, 35\.3 GiB; 1 earlier job\(s\) or endpoint\(s\) wait first\.$/);
  });

  it('serves in creation order: a later job does not pass an earlier one that is waiting, even when it would fit', () => {
    const claims = [held('running', instanceDemand('ml.m5.12xlarge', 1)), waiting('big', 1, huge)];
    expect(decide(capacity, claims, ask('small', 2))).toMatchObject({ admit: false, wait: true });
    // The earlier one is admitted first; ties go by key.
    expect(decide(capacity, [waiting('b', 5)], ask('a', 5))).toMatchObject({ admit: true });
    expect(decide(capacity, [waiting('a', 5)], ask('b', 5))).toMatchObject({ admit: false });
  });

  it('lets later work pass a job that waits for an endpoint to go, and says so in its message', () => {
    const endpoints = held('ep', { cpus: 4, memoryBytes: 30 * GiB, gpus: 0 }, 'endpoint');
    const stuck = decide(capacity, [endpoints], ask('big', 1, instanceDemand('ml.m5.xlarge', 1)));
    expect(stuck.admit).toBe(false);
    if (!stuck.admit) expect(stuck.message).toMatch(/; endpoints hold 4 vCPUs, 30\.0 GiB, so it starts once one is deleted or scaled in\.$/);
    const small = instanceDemand('ml.t2.medium', 1);
    expect(decide(capacity, [endpoints, waiting('big', 1, instanceDemand('ml.m5.xlarge', 1))], ask('small', 2, small))).toMatchObject({ admit: true });
  });

  it('lets an endpoint wait while jobs hold the capacity, and turns it down while endpoints do', () => {
    const byJob = decide(capacity, [held('job', huge, 'job')], ask('ep', 2, m5large, 'endpoint'));
    expect(byJob).toMatchObject({ admit: false, wait: true });
    const byEndpoint = decide(capacity, [held('other', huge, 'endpoint')], ask('ep', 2, m5large, 'endpoint'));
    expect(byEndpoint.admit).toBe(false);
    if (byEndpoint.admit) return;
    expect(byEndpoint.wait).toBe(false);
    expect(byEndpoint.message).toMatch(/^Unable to provision requested ML compute capacity: the endpoint needs 2 vCPUs, 8\.0 GiB \(test\); .*other endpoints hold 96 vCPUs/);
  });

  it('counts the holder itself under another key (blue/green: the old fleet holds while the new one asks)', () => {
    const old = held('endpoint:e', { cpus: 20, memoryBytes: 20 * GiB, gpus: 0 }, 'endpoint');
    const d = decide(capacity, [old], ask('endpoint:e#pending', 9, { cpus: 20, memoryBytes: 20 * GiB, gpus: 0 }, 'endpoint'));
    expect(d).toMatchObject({ admit: false, wait: false });
  });

  it('leaves GPUs out unless the host declares some', () => {
    const gpu = instanceDemand('ml.g5.xlarge', 1);
    expect(decide(capacity, [held('g', gpu)], ask('h', 1, gpu))).toMatchObject({ admit: true });
    const withGpus = { ...capacity, gpus: 1 };
    expect(decide(withGpus, [held('g', gpu)], ask('h', 1, gpu))).toMatchObject({ admit: false, wait: true });
    expect(decide(withGpus, [], ask('h', 1, gpu))).toMatchObject({ admit: true });
  });
});
