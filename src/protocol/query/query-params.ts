/**
 * @module protocol/query/query-params — reads a query-protocol request (`Action=X&Version=V&
 * Dimensions.member.1.Name=n`) into its action and a nested input, strictly:
 *
 * - text must be UTF-8 after %-decoding (a lenient decoder would store U+FFFD instead);
 * - nested keys build objects without a prototype, so `__proto__.x=1` or
 *   `constructor.prototype.x=1` are ordinary (unknown) members, never a path into Object.prototype;
 * - a name given both as a value and with members (`A=1&A.B=2`) is refused.
 *
 * Refusals are `MalformedQueryString`, a common error of the query APIs
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#CommonErrors).
 */
import { ServiceError } from '../errors.js';

export class MalformedQueryString extends ServiceError {
  constructor(message: string) {
    super('MalformedQueryString', message, 400);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One form component: `+` is a space, `%XX` runs are bytes that must form UTF-8 with the rest. */
function decodeComponent(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  // Odd parts are runs of %XX escapes; a lone `%` that starts no escape stays as it is.
  const parts = plus.split(/((?:%[0-9A-Fa-f]{2})+)/);
  const bytes = Buffer.concat(parts.map((p, i) => (i % 2 === 1 ? Buffer.from(p.replace(/%/g, ''), 'hex') : Buffer.from(p, 'utf8'))));
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MalformedQueryString('The query string contains bytes that are not valid UTF-8.');
  }
}

type Node = Record<string, unknown>;

function setPath(root: Node, path: string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = node[k];
    if (next === undefined) {
      const child: Node = Object.create(null) as Node;
      node[k] = child;
      node = child;
    } else if (typeof next === 'object' && next !== null) node = next as Node;
    else throw new MalformedQueryString(`The parameter ${path.slice(0, i + 1).join('.')} is given both as a value and with members.`);
  }
  const last = path[path.length - 1]!;
  if (typeof node[last] === 'object') throw new MalformedQueryString(`The parameter ${path.join('.')} is given both as a value and with members.`);
  node[last] = value;
}

/** `{member: {1: a, 2: b}}` → `[a, b]`, recursively; other objects are copied as plain objects. */
function normaliseLists(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Node;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'member' && o.member && typeof o.member === 'object') {
    const items = o.member as Node;
    return Object.keys(items)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => normaliseLists(items[k]));
  }
  // fromEntries defines own properties: a `__proto__` key stays an ordinary member.
  return Object.fromEntries(keys.map((k) => [k, normaliseLists(o[k])]));
}

/** Parses `a=b&c.d=e` form text (a POST body, or a URL's query without the `?`). */
export function parseQuery(text: string): { action: string; input: Record<string, unknown> } {
  const input: Node = Object.create(null) as Node;
  let action = '';
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    if (key === 'Action') action = value;
    else if (key !== 'Version') setPath(input, key.split('.'), value);
  }
  return { action, input: normaliseLists(input) as Record<string, unknown> };
}

/** A request body as form text: it must be UTF-8 itself. */
export function queryText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new MalformedQueryString('The request body is not valid UTF-8.');
  }
}
