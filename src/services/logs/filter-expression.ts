/**
 * @module services/logs/filter-expression — the condition language shared by CloudWatch Logs' JSON
 * (`{ $.status >= 500 && $.level = "ERROR" }`) and space-delimited (`[ip, ..., status = 5*]`) filter
 * patterns (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 *   expr    := and ('||' and)*
 *   and     := primary ('&&' primary)*
 *   primary := '(' expr ')' | lhs op value | lhs IS (NULL|TRUE|FALSE) | lhs NOT EXISTS
 *   op      := = != > >= < <=
 *   value   := number | "quoted" | unquoted-with-* | %regex%
 *
 * What the left-hand side names (a JSON selector or a delimited field) is the caller's business:
 * conditions get the resolved value, or `undefined` when there is none. `%regex%` and `*` values
 * match in linear time (./filter-regex.ts).
 */
import { FilterPatternError } from './filter-error.js';
import { compileFilterRegex, compileGlob, MAX_REGEXES_PER_PATTERN } from './filter-regex.js';

export { FilterPatternError };

/** A resolved left-hand side: `found` false when the selector or field is absent. */
export interface Resolved {
  found: boolean;
  value: unknown;
}

export type Resolver = (lhs: string) => Resolved;

export type Condition = (resolve: Resolver) => boolean;

type Tok =
  | { t: 'op'; v: '=' | '!=' | '>' | '>=' | '<' | '<=' }
  | { t: '&&' | '||' | '(' | ')' }
  | { t: 'word'; v: string }
  | { t: 'string'; v: string }
  | { t: 'regex'; v: string };

/** Tokens of a condition text (inside `{ }`, or one field of `[ ]`). */
export function lex(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c });
      i++;
    } else if (text.startsWith('&&', i) || text.startsWith('||', i)) {
      out.push({ t: text.slice(i, i + 2) as '&&' | '||' });
      i += 2;
    } else if (text.startsWith('!=', i) || text.startsWith('>=', i) || text.startsWith('<=', i)) {
      out.push({ t: 'op', v: text.slice(i, i + 2) as '!=' | '>=' | '<=' });
      i += 2;
    } else if (c === '=' || c === '>' || c === '<') {
      out.push({ t: 'op', v: c });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        s += text[i++];
      }
      if (i >= text.length) throw new FilterPatternError('Unterminated quoted string in filter pattern.');
      i++;
      out.push({ t: 'string', v: s });
    } else if (c === '%') {
      const end = text.indexOf('%', i + 1);
      if (end < 0) throw new FilterPatternError('Unterminated regular expression (%...%) in filter pattern.');
      out.push({ t: 'regex', v: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      let w = '';
      while (i < text.length && !/[\s()=!<>&|"]/.test(text[i]!)) w += text[i++];
      if (w === '') throw new FilterPatternError(`Unexpected character '${c}' in filter pattern.`);
      out.push({ t: 'word', v: w });
    }
  }
  return out;
}

/** Regexes seen so far in one filter pattern (CloudWatch allows MAX_REGEXES_PER_PATTERN). */
export interface RegexCount {
  regexes: number;
}

/**
 * Parses a whole condition expression; `isLhs` says which words may stand on the left. Pass the
 * same `count` for every part of one filter pattern.
 */
export function parseCondition(text: string, isLhs: (word: string) => boolean, count: RegexCount = { regexes: 0 }): Condition {
  const toks = lex(text);
  let pos = 0;
  const peek = () => toks[pos];
  const fail = (what: string): never => {
    throw new FilterPatternError(`Invalid filter pattern: ${what} in '${text.trim()}'.`);
  };

  const parseOr = (): Condition => {
    const parts = [parseAnd()];
    while (peek()?.t === '||') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.some((p) => p(r));
  };
  const parseAnd = (): Condition => {
    const parts = [parsePrimary()];
    while (peek()?.t === '&&') {
      pos++;
      parts.push(parsePrimary());
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.every((p) => p(r));
  };
  const parsePrimary = (): Condition => {
    const tok = peek();
    if (!tok) return fail('a condition is missing');
    if (tok.t === '(') {
      pos++;
      const inner = parseOr();
      if (peek()?.t !== ')') fail("')' is missing");
      pos++;
      return inner;
    }
    if (tok.t !== 'word' || !isLhs(tok.v)) return fail(`expected a selector or field name, found '${describe(tok)}'`);
    pos++;
    const lhs = tok.v;
    const next = peek();
    if (next?.t === 'word' && (next.v === 'IS' || next.v === 'NOT')) {
      pos++;
      const what = peek();
      pos++;
      if (next.v === 'NOT') {
        if (what?.t !== 'word' || what.v !== 'EXISTS') fail("expected 'EXISTS' after 'NOT'");
        return (r) => !r(lhs).found;
      }
      if (what?.t !== 'word' || !['NULL', 'TRUE', 'FALSE'].includes(what.v)) fail("expected NULL, TRUE or FALSE after 'IS'");
      const want = (what as { v: string }).v === 'NULL' ? null : (what as { v: string }).v === 'TRUE';
      return (r) => {
        const v = r(lhs);
        return v.found && v.value === want;
      };
    }
    if (next?.t !== 'op') return fail(`expected a comparison after '${lhs}'`);
    pos++;
    const value = peek();
    if (!value || (value.t !== 'word' && value.t !== 'string' && value.t !== 'regex')) return fail(`expected a value after '${lhs} ${next.v}'`);
    pos++;
    if (value.t === 'regex' && ++count.regexes > MAX_REGEXES_PER_PATTERN) {
      fail(`more than ${MAX_REGEXES_PER_PATTERN} regular expressions in one filter pattern`);
    }
    const test = comparison(next.v, value as Extract<Tok, { t: 'word' | 'string' | 'regex' }>, fail);
    return (r) => {
      const v = r(lhs);
      return v.found && test(v.value);
    };
  };

  const cond = parseOr();
  if (pos < toks.length) fail(`unexpected '${describe(toks[pos]!)}'`);
  return cond;
}

function describe(tok: Tok): string {
  return 'v' in tok ? tok.v : tok.t;
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A test on a found value for `op value`. */
function comparison(op: string, value: Extract<Tok, { t: 'word' | 'string' | 'regex' }>, fail: (what: string) => never): (v: unknown) => boolean {
  if (value.t === 'regex') {
    if (op !== '=' && op !== '!=') fail(`a regular expression can only be compared with = or !=`);
    const re = compileFilterRegex(value.v);
    return op === '=' ? (v) => re(asText(v)) : (v) => !re(asText(v));
  }
  if (value.t === 'word' && NUMBER.test(value.v)) {
    const n = Number(value.v);
    const cmp = numeric(op);
    return (v) => {
      const x = asNumber(v);
      if (x === undefined) return op === '!=';
      return cmp(x, n);
    };
  }
  if (op !== '=' && op !== '!=') fail(`'${op}' needs a number, found '${value.v}'`);
  const glob = compileGlob(value.v);
  return op === '=' ? (v) => glob(asText(v)) : (v) => !glob(asText(v));
}

function numeric(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case '=':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
    case '<':
      return (a, b) => a < b;
    default:
      return (a, b) => a <= b;
  }
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER.test(v.trim())) return Number(v);
  return undefined;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
