/**
 * The layer rules (./layer-rules.ts, docs/architecture.md) held against the real import graph of
 * `src/`: a rule that breaks fails with the file pair that breaks it, and no file may take part
 * in an import circle.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph } from './import-graph.js';
import { ALLOWED_CIRCLE, violations } from './layer-rules.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Pairs that broke a rule when this test came (55 pairs, 3 circles) were removed one by one as
// issue #13 moved the code; both lists stay empty now.
const KNOWN_TODAY = new Set<string>([]);
const KNOWN_CIRCLES: string[][] = [];

describe('layer rules over the import graph of src/', () => {
  const edges = importGraph(ROOT);

  it('reads the whole tree', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from === 'src/server/app.ts')).toBe(true);
  });

  it('has no import that breaks a layer rule', () => {
    const found = violations(edges).map((v) => v.slice(0, v.indexOf(' (')));
    expect(found.filter((v) => !KNOWN_TODAY.has(v))).toEqual([]);
    expect([...KNOWN_TODAY].filter((v) => !found.includes(v)), 'fixed: remove from KNOWN_TODAY').toEqual([]);
  });

  it('has no import circle (the migrations aside)', () => {
    const found = circles(edges).filter((c) => !c.every((f) => ALLOWED_CIRCLE.test(f)));
    expect(found).toEqual(KNOWN_CIRCLES);
  });

  it('catches a rule broken on purpose', () => {
    expect(violations([{ from: 'src/services/x.ts', to: 'src/controllers/y.ts' }])).toHaveLength(1);
    expect(violations([{ from: 'src/controllers/y.ts', to: 'src/storage/z.ts' }])).toEqual([]);
    expect(circles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
  });
});
