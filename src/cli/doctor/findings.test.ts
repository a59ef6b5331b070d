import { describe, expect, it } from 'vitest';
import type { ImageInfo } from '../../runtime/container-runtime.js';
import { imageFindings, looksLikeStringTypeError, normalizeArch, parseProbe, programFindings } from './findings.js';

const image = (over: Partial<ImageInfo> = {}): ImageInfo => ({
  id: 'sha256:1',
  repoTags: [],
  repoDigests: [],
  entrypoint: null,
  cmd: null,
  env: [],
  labels: {},
  architecture: 'amd64',
  os: 'linux',
  sizeBytes: 100,
  workingDir: '',
  user: '',
  ...over,
});
const fmt = (n: number) => `${n} B`;

describe('imageFindings', () => {
  it('matches docker info and image architecture spellings', () => {
    expect(normalizeArch('x86_64')).toBe(normalizeArch('amd64'));
    expect(imageFindings(image(), 'x86_64', fmt).find((f) => f.id === 'image.architecture')!.status).toBe('pass');
    const arm = imageFindings(image({ architecture: 'arm64' }), 'x86_64', fmt).find((f) => f.id === 'image.architecture')!;
    expect(arm.status).toBe('fail');
    expect(arm.fix).toContain('--platform linux/amd64');
  });

  it('fails a shell-form ENTRYPOINT and passes exec form or none', () => {
    const ep = (entrypoint: string[] | null) => imageFindings(image({ entrypoint }), 'amd64', fmt).find((f) => f.id === 'image.entrypoint')!.status;
    expect(ep(['/bin/sh', '-c', 'python serve.py'])).toBe('fail');
    expect(ep(['python', 'main.py'])).toBe('pass');
    expect(ep(null)).toBe('pass');
  });

  it('warns about images over 5 GB', () => {
    expect(imageFindings(image({ sizeBytes: 6 * 1024 ** 3 }), 'amd64', fmt).find((f) => f.id === 'image.size')!.status).toBe('warn');
  });
});

describe('probe parsing and program findings', () => {
  it('fails a missing program with how to put it on PATH', () => {
    const p = parseProbe(['PROBE|serve|missing']);
    const [f] = programFindings('serve', 'serve', p.get('serve'), false);
    expect(f!.status).toBe('fail');
    expect(f!.fix).toContain('ENV PATH');
  });

  it('fails a non-executable script and a CRLF shebang with their fixes', () => {
    const p = parseProbe(['noise', 'PROBE|serve|found|/opt/program/serve|no|script|1|40|/usr/bin/env python3|no']);
    const fs = programFindings('serve', 'serve', p.get('serve'), false);
    expect(fs.find((f) => f.id === 'serve.resolvable')).toMatchObject({ status: 'fail' });
    expect(fs.find((f) => f.id === 'serve.resolvable')!.fix).toContain('chmod +x');
    expect(fs.find((f) => f.id === 'serve.line-endings')).toMatchObject({ status: 'fail' });
    // A CRLF shebang is reported once, as line endings, not again as a missing interpreter.
    expect(fs.find((f) => f.id === 'serve.shebang')?.status).not.toBe('fail');
  });

  it('passes a healthy script and flags a file without a shebang', () => {
    const ok = programFindings('train', 'train', parseProbe(['PROBE|train|found|/opt/program/train|yes|script|0|0|/usr/bin/env python3|yes']).get('train'), false);
    expect(ok.every((f) => f.status === 'pass')).toBe(true);
    const bare = programFindings('train', 'train', parseProbe(['PROBE|train|found|/opt/program/train|yes|other|0|0||na']).get('train'), false);
    expect(bare.find((f) => f.id === 'train.shebang')).toMatchObject({ status: 'fail' });
  });

  it('recognises type errors from hyperparameters used as numbers', () => {
    expect(looksLikeStringTypeError("TypeError: '<' not supported between instances of 'str' and 'int'")).toBe(true);
    expect(looksLikeStringTypeError('FileNotFoundError: data')).toBe(false);
  });
});
