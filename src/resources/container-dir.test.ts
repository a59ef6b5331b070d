import { describe, expect, it } from 'vitest';
import { containerDirProblem } from './container-dir.js';

describe('containerDirProblem', () => {
  it('accepts plain absolute paths, inside /opt/ml or elsewhere, with or without a trailing slash', () => {
    for (const p of ['/opt/ml/checkpoints', '/opt/ml/output/tensorboard', '/ckpt', '/data/run/ckpt/', '/opt', '/opt/ml/model/sub']) {
      expect(containerDirProblem(p), p).toBeUndefined();
    }
  });

  it('refuses relative, root, dotted and empty-segment paths', () => {
    expect(containerDirProblem('ckpt')).toMatch(/absolute/);
    expect(containerDirProblem('/')).toMatch(/root/);
    expect(containerDirProblem('//')).toMatch(/root/);
    expect(containerDirProblem('/opt/ml/../../etc')).toMatch(/plain path/);
    expect(containerDirProblem('/opt/./ml/x')).toMatch(/plain path/);
    expect(containerDirProblem('/opt//ml/x')).toMatch(/plain path/);
    expect(containerDirProblem('/opt/ml/x\n')).toMatch(/control/);
    expect(containerDirProblem('/opt/ml/\u0000x')).toMatch(/control/);
  });

  it("refuses SageMaker's own mount points and kernel file systems", () => {
    for (const p of ['/opt/ml', '/opt/ml/', '/opt/ml/model', '/opt/ml/output', '/opt/ml/input', '/opt/ml/input/data', '/opt/ml/input/config']) {
      expect(containerDirProblem(p), p).toMatch(/SageMaker's own files/);
    }
    for (const p of ['/proc', '/proc/self', '/sys/fs', '/dev']) expect(containerDirProblem(p), p).toMatch(/must not be under/);
  });
});
