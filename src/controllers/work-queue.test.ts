/** The work queue under leases: a key runs only under its lease, with its fence in context. */
import { describe, expect, it } from 'vitest';
import { currentFence, FencedError, type Fence } from '../storage/fence.js';
import { DONE, WorkQueue, type LeaseGate } from './work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gate(held: Set<string>): LeaseGate & { lostKeys: string[]; handedOff: string[] } {
  const lostKeys: string[] = [];
  const handedOff: string[] = [];
  return {
    lostKeys,
    handedOff,
    handOff: async (key) => void handedOff.push(key),
    acquire: async (key) => (held.has(key) ? { key, holder: 'me', token: 7 } : undefined),
    lost: (key) => void lostKeys.push(key),
  };
}

describe('WorkQueue with leases', () => {
  it('runs a key whose lease it gets, with the fence in context, and leaves a key held elsewhere alone', async () => {
    const seen: { key: string; fence: Fence | undefined }[] = [];
    const q = new WorkQueue({ job: async (key) => (seen.push({ key, fence: currentFence() }), DONE) });
    const g = gate(new Set(['job:mine']));
    q.useLeases(g);
    q.enqueue('job:mine');
    q.enqueue('job:theirs');
    await sleep(50);
    expect(seen).toEqual([{ key: 'job:mine', fence: { key: 'job:mine', holder: 'me', token: 7 } }]);
    expect(g.handedOff).toEqual(['job:theirs']);
    await q.stop();
  });

  it('gives a key up without retrying when a write of its reconcile was fenced off', async () => {
    let runs = 0;
    const q = new WorkQueue({
      job: async (key) => {
        runs++;
        throw new FencedError({ key, holder: 'me', token: 7 });
      },
    });
    const g = gate(new Set(['job:a']));
    q.useLeases(g);
    q.enqueue('job:a');
    await sleep(600);
    expect(runs).toBe(1);
    expect(g.lostKeys).toEqual(['job:a']);
    await q.stop();
  });

  it('without leases (one process) runs every key unfenced', async () => {
    const seen: (Fence | undefined)[] = [];
    const q = new WorkQueue({ job: async () => (seen.push(currentFence()), DONE) });
    q.enqueue('job:x');
    await sleep(20);
    expect(seen).toEqual([undefined]);
    await q.stop();
  });
});
