/** @module services/ecr/paging — opaque nextToken values and maxResults defaults of ECR's List/Describe calls. */
import { invalidParameter } from './errors.js';

/** "If maxResults is not used, DescribeRepositories/DescribeImages/ListImages return up to 100 results" (API reference). */
export const DEFAULT_PAGE = 100;

export function encodeToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey })).toString('base64url');
}

export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through: not one of ours
  }
  throw invalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'");
}

/** One page out of `limit + 1` fetched rows: the extra row only says a next page exists. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; nextToken?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextToken: encodeToken(keyOf(items[items.length - 1]!)) };
}
