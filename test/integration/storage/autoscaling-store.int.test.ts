/** The Application Auto Scaling store (targets, policies, activities) on SQLite and PostgreSQL. */
import { expect, it } from 'vitest';
import { SqlAutoscalingStore } from '../../../src/storage/autoscaling-store.js';
import type { ScalableTargetRecord, ScalingPolicyRecord } from '../../../src/resources/scalable-target.js';
import { forEachBackend } from '../../helpers/backends.js';

const resourceId = 'endpoint/e/variant/v';

function target(over: Partial<ScalableTargetRecord> = {}): ScalableTargetRecord {
  return {
    resourceId,
    minCapacity: 1,
    maxCapacity: 4,
    roleArn: 'arn:aws:iam::000000000000:role/r',
    suspended: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
    arn: 'arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/abc',
    createdAt: 1_700_000_000_000,
    tags: { team: 'a' },
    ...over,
  };
}

forEachBackend((backend) => {
  it('autoscaling store: a target is upserted, keeps its cooldown times and goes away', async () => {
    const store = new SqlAutoscalingStore((await backend.fresh()).db);
    await store.putTarget(target());
    await store.putTarget(target({ maxCapacity: 8, createdAt: 5 }));
    await store.markScaled(resourceId, 'out', 1_700_000_060_000);
    const got = await store.getTarget(resourceId);
    // The upsert changes capacities, never the creation time.
    expect(got).toEqual({ ...target({ maxCapacity: 8 }), lastScaleOutAt: 1_700_000_060_000 });
    expect(await store.getTargetByArn(target().arn)).toEqual(got);
    await store.setTags(resourceId, { team: 'b' });
    expect((await store.listTargets()).map((t) => t.tags)).toEqual([{ team: 'b' }]);
    expect(await store.deleteTarget(resourceId)).toBe(true);
    expect(await store.deleteTarget(resourceId)).toBe(false);
  });

  it('autoscaling store: policies are upserted by target and name', async () => {
    const store = new SqlAutoscalingStore((await backend.fresh()).db);
    await store.putTarget(target());
    const policy = (name: string, value: number): ScalingPolicyRecord => ({
      resourceId,
      name,
      arn: `arn:policy/${name}`,
      config: { TargetValue: value } as ScalingPolicyRecord['config'],
      alarms: [{ AlarmName: `${name}-high`, AlarmARN: `arn:alarm/${name}` }],
      createdAt: 1,
    });
    await store.putPolicy(policy('p2', 10));
    await store.putPolicy(policy('p1', 10));
    await store.putPolicy(policy('p1', 70));
    expect((await store.listPolicies(resourceId)).map((p) => [p.name, p.config.TargetValue])).toEqual([
      ['p1', 70],
      ['p2', 10],
    ]);
    expect((await store.listPolicies()).length).toBe(2);
    expect(await store.getPolicy(resourceId, 'p2')).toEqual(policy('p2', 10));
    expect(await store.deletePolicy(resourceId, 'p2')).toBe(true);
    expect(await store.getPolicy(resourceId, 'p2')).toBeUndefined();
  });

  it('autoscaling store: activities page newest first, for one target or all, and settle', async () => {
    const store = new SqlAutoscalingStore((await backend.fresh()).db);
    for (let i = 0; i < 5; i++) {
      await store.addActivity({ id: `a${i}`, resourceId: i % 2 ? 'endpoint/x/variant/v' : resourceId, description: `d${i}`, cause: 'c', startTime: i, status: 'InProgress', desired: i });
    }
    const all = await store.listActivities(undefined, { limit: 10 });
    expect(all.map((a) => a.id)).toEqual(['a4', 'a3', 'a2', 'a1', 'a0']);
    const mine = await store.listActivities(resourceId, { limit: 2 });
    expect(mine.map((a) => a.id)).toEqual(['a4', 'a2']);
    expect((await store.listActivities(resourceId, { beforeSeq: mine[1]!.seq, limit: 2 })).map((a) => a.id)).toEqual(['a0']);
    await store.finishActivity('a2', 'Successful', 99, 'done');
    await store.finishActivity('a0', 'Failed', 100);
    expect((await store.openActivities(resourceId)).map((a) => a.id)).toEqual(['a4']);
    expect((await store.listActivities(resourceId, { limit: 10 })).find((a) => a.id === 'a2')).toMatchObject({ status: 'Successful', endTime: 99, statusMessage: 'done' });
  });

  it('autoscaling store: keeps the newest 200 activities per target', async () => {
    const store = new SqlAutoscalingStore((await backend.fresh()).db);
    for (let i = 0; i < 205; i++) await store.addActivity({ id: `a${i}`, resourceId, description: 'd', cause: 'c', startTime: i, status: 'Successful', desired: 1 });
    const left = await store.listActivities(resourceId, { limit: 500 });
    expect(left).toHaveLength(200);
    expect(left.at(-1)!.id).toBe('a5');
  });
});
