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
  it('matches a whole-pattern regular expression', () => {
    const p = compileFilterPattern('%ERR[OR]*\\s[0-9]+%');
    expect(p('ERROR 42 boom')).toBe(true);
    expect(p('ERR 7')).toBe(true);
    expect(p('ERROR boom')).toBe(false);
  });
  it('refuses malformed patterns instead of matching everything', () => {
    for (const bad of ['{ $.level = "ERROR"', '{ level = 1 }', '{ $.a > "x" }', '{ $.a = }', '[a, b', '[1x]', '{ ($.a = 1 }', '%(%', '{ $.a IS MAYBE }']) {
      expect(() => compileFilterPattern(bad), bad).toThrow(FilterPatternError);
    }
  });
});

describe('JSON filter patterns', () => {
  const line = JSON.stringify({ level: 'ERROR', latency: 250, user: { id: 7, name: 'ada' }, tags: ['gpu', 'prod'], ok: false, gone: null, code: '503' });
  const m = (pattern: string, message = line) => compileFilterPattern(pattern)(message);

  it('compares strings exactly or with * wildcards', () => {
    expect(m('{ $.level = "ERROR" }')).toBe(true);
    expect(m('{ $.level = "ERR*" }')).toBe(true);
    expect(m('{ $.level = ERR* }')).toBe(true);
    expect(m('{ $.level = "error" }')).toBe(false);
    expect(m('{ $.level != "INFO" }')).toBe(true);
    expect(m('{ $.level = * }')).toBe(true);
  });
  it('compares numbers, also numeric strings', () => {
    expect(m('{ $.latency > 200 }')).toBe(true);
    expect(m('{ $.latency >= 250 && $.latency <= 250 }')).toBe(true);
    expect(m('{ $.latency < 100 }')).toBe(false);
    expect(m('{ $.code = 503 }')).toBe(true);
    expect(m('{ $.latency != 1 }')).toBe(true);
  });
  it('selects nested members and array elements', () => {
    expect(m('{ $.user.id = 7 }')).toBe(true);
    expect(m('{ $.user.name = "ada" }')).toBe(true);
    expect(m('{ $.tags[1] = "prod" }')).toBe(true);
    expect(m('{ $.tags[5] = "prod" }')).toBe(false);
  });
  it('knows IS NULL, IS TRUE/FALSE and NOT EXISTS', () => {
    expect(m('{ $.gone IS NULL }')).toBe(true);
    expect(m('{ $.level IS NULL }')).toBe(false);
    expect(m('{ $.ok IS FALSE }')).toBe(true);
    expect(m('{ $.ok IS TRUE }')).toBe(false);
    expect(m('{ $.missing NOT EXISTS }')).toBe(true);
    expect(m('{ $.level NOT EXISTS }')).toBe(false);
  });
  it('combines with && and || and parentheses', () => {
    expect(m('{ ($.level = "INFO" || $.latency > 200) && $.user.id = 7 }')).toBe(true);
    expect(m('{ $.level = "INFO" || ($.latency > 200 && $.user.id = 8) }')).toBe(false);
  });
  it('compares with %regex%', () => {
    expect(m('{ $.user.name = %^a.a$% }')).toBe(true);
    expect(m('{ $.user.name != %^a% }')).toBe(false);
  });
  it('never matches a missing member or a message that is not JSON', () => {
    expect(m('{ $.missing = * }')).toBe(false);
    expect(m('{ $.missing != "x" }')).toBe(false);
    expect(m('{ $.level = "ERROR" }', 'ERROR plain text')).toBe(false);
    expect(m('{ $.level = "ERROR" }', '{"level": "ERROR"')).toBe(false);
  });
});

describe('space-delimited filter patterns', () => {
  const access = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534';
  const m = (pattern: string, message = access) => compileFilterPattern(pattern)(message);

  it('binds every field in order, quoted and bracketed runs being one field', () => {
    expect(m('[ip, user, username, timestamp, request, status_code, bytes]')).toBe(true);
    expect(m('[ip, user, username, timestamp, request = "GET *", status_code = 404, bytes > 1000]')).toBe(true);
    expect(m('[ip, user, username, timestamp = 10/Oct/*, request, status_code, bytes]')).toBe(true);
    expect(m('[ip, user, username, timestamp, request, status_code = 200, bytes]')).toBe(false);
  });
  it('needs the exact number of fields unless ... is used', () => {
    expect(m('[ip, user, status_code]')).toBe(false);
    expect(m('[ip, ..., status_code = 4*, bytes]')).toBe(true);
    expect(m('[..., status_code = 404, bytes]')).toBe(true);
    expect(m('[ip = 127.*, ...]')).toBe(true);
    expect(m('[..., bytes < 1000]')).toBe(false);
  });
  it('evaluates && and || within a field', () => {
    expect(m('[..., status_code = 500 || status_code = 404, bytes]')).toBe(true);
    expect(m('[..., status_code >= 400 && status_code < 500, bytes]')).toBe(true);
    expect(m('[..., status_code >= 500 && status_code < 600, bytes]')).toBe(false);
  });
});

describe('regular expressions in filter patterns (CloudWatch syntax, linear time)', () => {
  it('refuses what CloudWatch refuses: parentheses, other symbols, spaces, multi-byte characters, empty', () => {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions
    for (const bad of ['%(a+)+$%', '%something!%', '%a b%', '%caf\u00e9%', '%%', '{ $.a = %(x)% }', '%[%']) {
      expect(() => compileFilterPattern(bad), bad).toThrow(FilterPatternError);
    }
    for (const good of ['%AUTHORIZED%', '%\\d{1,3}\\.\\d{1,3}%', '%[Ee]rror|[Ff]ail%', '%^[hc]at$%', '%a:b_c#d=e@f/g;h,i-j%']) {
      expect(() => compileFilterPattern(good), good).not.toThrow();
    }
  });

  it('allows at most two regular expressions in a JSON or space-delimited pattern', () => {
    expect(() => compileFilterPattern('{ $.a = %x% || $.b = %y% }')).not.toThrow();
    expect(() => compileFilterPattern('{ $.a = %x% || $.b = %y% || $.c = %z% }')).toThrow(FilterPatternError);
    expect(() => compileFilterPattern('[a = %x%, b = %y%, c = %z%]')).toThrow(FilterPatternError);
  });

  it('answers catastrophic-backtracking patterns in linear time', () => {
    const started = performance.now();
    // (a+)+$ cannot be written (no parentheses); these are the paren-free equivalents that make a
    // backtracking engine take polynomial time, over long messages.
    const long = 'a'.repeat(200_000);
    expect(compileFilterPattern('%a*a*a*a*a*a*a*a*a*a*b%')(long)).toBe(false);
    expect(compileFilterPattern('{ $.m = %a*a*a*a*a*a*a*b% }')(JSON.stringify({ m: long }))).toBe(false);
    expect(compileFilterPattern('{ $.m = *a*a*a*a*a*a*a*a*b }')(JSON.stringify({ m: long }))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('matches space-delimited patterns with many ... in bounded time', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
    const started = performance.now();
    expect(compileFilterPattern('[..., a, ..., b, ..., c, ..., d = nope]')(words)).toBe(false);
    expect(compileFilterPattern('[..., a, ..., b, ..., c, ..., d = w19999]')(words)).toBe(true);
    expect(compileFilterPattern('[a = w0, ..., b = w5, ..., c = w19999]')(words)).toBe(true);
    // A condition naming another field cannot be checked early; the search then has a step budget.
    expect(compileFilterPattern('[..., a, ..., b, ..., c = x || a = nope]')(words)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
