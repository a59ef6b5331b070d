import { describe, expect, it } from 'vitest';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';

describe('compileFilterPattern', () => {
  it('matches everything for an empty pattern', () => {
    expect(compileFilterPattern(undefined)('x')).toBe(true);
    expect(compileFilterPattern('')('x')).toBe(true);
  });
  it('requires every plain term, case-sensitively', () => {
    const p = compileFilterPattern('ERROR model');
    expect(p('ERROR loading model')).toBe(true);
    expect(p('error loading model')).toBe(false);
    expect(p('ERROR loading')).toBe(false);
  });
  it('matches quoted phrases as a whole', () => {
    const p = compileFilterPattern('"Model loaded"');
    expect(p('INFO Model loaded in 3s')).toBe(true);
    expect(p('Model was loaded')).toBe(false);
  });
  it('accepts any ? alternative and rejects - exclusions', () => {
    const p = compileFilterPattern('?ERROR ?WARN -healthcheck');
    expect(p('WARN slow')).toBe(true);
    expect(p('ERROR boom')).toBe(true);
    expect(p('INFO fine')).toBe(false);
    expect(p('WARN healthcheck slow')).toBe(false);
  });
  it('refuses JSON patterns instead of matching everything', () => {
    expect(() => compileFilterPattern('{ $.level = "ERROR" }')).toThrow(FilterPatternError);
  });
});
