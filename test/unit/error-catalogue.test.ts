import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'generated' || name === 'web' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** Error codes as they are constructed in src/: ServiceError(...), subclasses' super(...), S3's s3(...). */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const pattern = /(?:new ServiceError\(|super\(|\bs3\()\s*'([A-Z][A-Za-z0-9]+)'/g;
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) codes.add(m[1]!);
  }
  return codes;
}

describe('error catalogue', () => {
  it('lists every error code Slipway can answer with in docs/errors.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const codes = codesInSource();
    expect(codes.size).toBeGreaterThan(30);
    const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  it('gives each ServiceError subclass a unique code', () => {
    const byCode = new Map<string, string[]>();
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/export class (\w+) extends ServiceError \{\s*constructor\([^)]*\) \{\s*super\(\s*'(\w+)'/g)) {
        byCode.set(m[2]!, [...(byCode.get(m[2]!) ?? []), m[1]!]);
      }
    }
    expect(byCode.size).toBeGreaterThan(10);
    for (const [code, classes] of byCode) expect(classes, code).toHaveLength(1);
  });
});
