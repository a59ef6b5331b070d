import { describe, expect, it } from 'vitest';
import { elsewhereProblem } from './swarm-staging.js';

const plan = (elsewhere: { folder: string; containerPath: string }[]) => ({ mountPath: '/opt/ml', url: 'http://x', outcome: Promise.resolve(), elsewhere });

describe('staged folders elsewhere (a second volume per folder)', () => {
  it('takes plain folder names at absolute, normalised paths inside or outside the mount', () => {
    expect(elsewhereProblem(plan([{ folder: 'checkpoints', containerPath: '/ckpt/' }, { folder: 'tensorboard', containerPath: '/opt/ml/output/tensorboard' }]))).toBeUndefined();
  });

  it('refuses folder names that are paths, relative or dotted targets, and two mounts at one place', () => {
    expect(elsewhereProblem(plan([{ folder: '../x', containerPath: '/a' }]))).toMatch(/plain, unique folder name/);
    expect(elsewhereProblem(plan([{ folder: 'a', containerPath: '/a' }, { folder: 'a', containerPath: '/b' }]))).toMatch(/plain, unique folder name/);
    expect(elsewhereProblem(plan([{ folder: 'a', containerPath: 'rel' }]))).toMatch(/absolute, normalised/);
    expect(elsewhereProblem(plan([{ folder: 'a', containerPath: '/opt/ml/../etc' }]))).toMatch(/absolute, normalised/);
    expect(elsewhereProblem(plan([{ folder: 'a', containerPath: '/opt/ml/' }]))).toMatch(/two mounts at \/opt\/ml/);
    expect(elsewhereProblem(plan([{ folder: 'a', containerPath: '/x' }, { folder: 'b', containerPath: '/x/' }]))).toMatch(/two mounts at \/x/);
  });
});
