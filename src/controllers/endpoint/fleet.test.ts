import { describe, expect, it } from 'vitest';
import type { EndpointInternal, FleetPlan } from '../../resources/endpoint.js';
import {
  InstanceState,
  dropPending,
  isAlive,
  isDead,
  isServing,
  markEnded,
  markRetiring,
  markServing,
  markStartFailed,
  promotePending,
  scaleInVictims,
  settleFailedScaling,
  type FleetMember,
} from './fleet.js';

const member = (state: InstanceState, startedAt = 0, variant = 'A', generation = 1): FleetMember => ({ variant, generation, startedAt, state });

const plan = (generation: number, counts: Record<string, number>): FleetPlan =>
  ({
    generation,
    endpointConfigName: `cfg-${generation}`,
    variants: Object.entries(counts).map(([variantName, instanceCount]) => ({ variantName, instanceCount, weight: 1, image: 'img' })),
  }) as unknown as FleetPlan;

describe('instance states', () => {
  it('serves only after its ping answered, and only then counts as serving', () => {
    const i = member(InstanceState.Starting);
    expect([isServing(i), isAlive(i), isDead(i)]).toEqual([false, true, false]);
    expect(markServing(i)).toBe(true);
    expect([isServing(i), isAlive(i), isDead(i)]).toEqual([true, true, false]);
  });

  it('fails to start when it stops before serving, and dies when it stops after; the first reason stays', () => {
    const starting = member(InstanceState.Starting);
    markEnded(starting, 'exit code 1');
    markEnded(starting, 'health check timed out');
    expect(starting).toMatchObject({ state: InstanceState.StartFailed, reason: 'exit code 1' });
    const serving = member(InstanceState.Serving);
    markEnded(serving, 'failed health checks');
    expect(serving).toMatchObject({ state: InstanceState.Died, reason: 'failed health checks' });
    expect([isDead(starting), isDead(serving), isAlive(serving)]).toEqual([true, true, false]);
  });

  it('counts an instance that answered its ping and stopped meanwhile as died, not as a failed start', () => {
    const i = member(InstanceState.Starting);
    markEnded(i, 'exit code 0');
    expect(markServing(i)).toBe(false);
    expect(i.state).toBe(InstanceState.Died);
  });

  it('leaves a retiring instance retiring, whatever happens to its container', () => {
    const i = member(InstanceState.Serving);
    markRetiring(i);
    markEnded(i, 'exit code 137');
    markStartFailed(i, 'could not start');
    expect(markServing(i)).toBe(false);
    expect(i.state).toBe(InstanceState.Retiring);
    expect([isServing(i), isAlive(i), isDead(i)]).toEqual([false, false, false]);
  });
});

describe('scale-in', () => {
  it('retires instances not yet serving first, then the newest', () => {
    const old = member(InstanceState.Serving, 100);
    const newer = member(InstanceState.Serving, 300);
    const starting = member(InstanceState.Starting, 200);
    expect(scaleInVictims([old, newer, starting], 2)).toEqual([starting]);
    expect(scaleInVictims([old, newer, starting], 1)).toEqual([starting, newer]);
  });

  it('retires nothing at or under the count', () => {
    const a = member(InstanceState.Serving);
    expect(scaleInVictims([a], 1)).toEqual([]);
    expect(scaleInVictims([a], 3)).toEqual([]);
  });
});

describe('blue/green and scaling decisions', () => {
  it('promotes the updated fleet to active in one step', () => {
    const internal = { active: plan(1, { A: 1 }), pending: plan(2, { A: 2 }), nextGeneration: 3 } as unknown as EndpointInternal;
    const pending = internal.pending!;
    promotePending(internal, pending);
    expect(internal.active).toBe(pending);
    expect(internal.pending).toBeUndefined();
  });

  it('drops a failed update and keeps the old fleet active', () => {
    const active = plan(1, { A: 1 });
    const internal = { active, pending: plan(2, { A: 2 }), nextGeneration: 3 } as unknown as EndpointInternal;
    dropPending(internal);
    expect(internal.active).toBe(active);
    expect(internal.pending).toBeUndefined();
  });

  it('after a failed scale-out keeps the serving capacity per variant, at least one', () => {
    const p = plan(1, { A: 4, B: 3 });
    const members = [
      member(InstanceState.Serving, 0, 'A'),
      member(InstanceState.Serving, 0, 'A'),
      member(InstanceState.Starting, 0, 'A'),
      member(InstanceState.Serving, 0, 'A', 0),
      member(InstanceState.Died, 0, 'B'),
    ];
    settleFailedScaling(p, members);
    expect(p.variants.map((v) => [v.variantName, v.instanceCount])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
  });
});
