/**
 * @module services/logs/filter-regex — the `%regex%` terms of CloudWatch Logs filter patterns, with
 * the service's own syntax rules, matched by a linear-time engine (RE2, the `re2js` port).
 *
 * CloudWatch accepts only letters, digits, the symbols `: _ # = @ / ; , -` and the operators
 * `^ $ ? [ ] { } | \ * + .` in a regex: no `(`/`)`, no other characters, no multi-byte characters,
 * and at most two regexes in one JSON or space-delimited pattern
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions).
 * Anything else is refused before a single event is read.
 *
 * Why RE2: a backtracking engine (JS RegExp) takes exponential time on patterns such as `(a+)+$`
 * and polynomial time on `a*a*a*a*b`, on the server's only thread. RE2 matches in time linear in
 * the message; the pure-JS port needs no native build (the `re2` package downloads a prebuilt
 * addon from GitHub at install time, which this project's installs must not do).
 */
import { RE2JS } from 're2js';
import { FilterPatternError } from './filter-error.js';

/** CloudWatch's quota for a JSON or space-delimited pattern (a standalone `%regex%` is one). */
export const MAX_REGEXES_PER_PATTERN = 2;

const ALLOWED = /[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+.]/;

/** Compiles one `%regex%` body (without the percent signs); throws FilterPatternError when CloudWatch would refuse it. */
export function compileFilterRegex(source: string): (text: string) => boolean {
  if (source === '') throw new FilterPatternError('Invalid filter pattern: %% is an empty regular expression.');
  for (const ch of source) {
    if (!ALLOWED.test(ch)) {
      const shown = ch === ' ' ? 'a space' : ch.length > 1 || ch.charCodeAt(0) > 0x7e ? 'a multi-byte character' : `'${ch}'`;
      throw new FilterPatternError(
        `Invalid filter pattern: %${source}% contains ${shown}. CloudWatch Logs regular expressions may use only letters, digits, the symbols : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \\ * + .`,
      );
    }
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new FilterPatternError(`Invalid filter pattern: %${source}% is not a valid regular expression (${(err as Error).message}).`);
  }
  return (text) => re.test(text);
}

/** `*` matches any run of characters; everything else is literal (whole-value match, linear time). */
export function compileGlob(pattern: string): (text: string) => boolean {
  if (!pattern.includes('*')) return (text) => text === pattern;
  const body = pattern.split('*').map((part) => (part === '' ? '' : RE2JS.quote(part))).join('.*');
  const re = RE2JS.compile(`^${body}$`, RE2JS.DOTALL);
  return (text) => re.test(text);
}
