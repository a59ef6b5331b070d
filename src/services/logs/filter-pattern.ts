/**
 * @module services/logs/filter-pattern — CloudWatch Logs text filter patterns
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *   `ERROR`            term (case-sensitive, anywhere in the message)
 *   `ERROR Exception`  all terms
 *   `"Model loaded"`   quoted phrase
 *   `?ERROR ?WARN`     any of the `?` terms
 *   `ERROR -timeout`   exclusion
 *   `%ERR[A-Z]*%`      regular expression, the whole pattern (CloudWatch's restricted syntax,
 *                      matched in linear time: ./filter-regex.ts)
 *   `{ $.level = "ERROR" && $.ms > 100 }`   JSON, and `[ip, ..., status = 5*]` space-delimited:
 *                      ./filter-structured.ts
 * A pattern that does not parse is an InvalidParameterException, never a match-everything.
 */
import { FilterPatternError } from './filter-error.js';
import { compileFilterRegex } from './filter-regex.js';
import { compileDelimitedPattern, compileJsonPattern } from './filter-structured.js';

export { FilterPatternError };

export type MessagePredicate = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): MessagePredicate {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return compileJsonPattern(text);
  if (text.startsWith('[')) return compileDelimitedPattern(text);
  if (text.length > 1 && text.startsWith('%') && text.endsWith('%')) return compileFilterRegex(text.slice(1, -1));
  const required: string[] = [];
  const optional: string[] = [];
  const excluded: string[] = [];
  for (const token of tokenize(text)) {
    if (token.kind === '?') optional.push(token.text);
    else if (token.kind === '-') excluded.push(token.text);
    else required.push(token.text);
  }
  return (message) =>
    required.every((t) => message.includes(t)) &&
    (optional.length === 0 || optional.some((t) => message.includes(t))) &&
    !excluded.some((t) => message.includes(t));
}

interface Token {
  kind: '' | '?' | '-';
  text: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    let kind: Token['kind'] = '';
    if (text[i] === '?' || text[i] === '-') {
      kind = text[i] as '?' | '-';
      i++;
    }
    let word = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        word += text[i];
        i++;
      }
      if (text[i] !== '"') throw new FilterPatternError('Unterminated quoted phrase in filter pattern.');
      i++;
    } else {
      while (i < text.length && text[i] !== ' ' && text[i] !== '\t') word += text[i++];
    }
    if (word !== '') tokens.push({ kind, text: word });
  }
  return tokens;
}
