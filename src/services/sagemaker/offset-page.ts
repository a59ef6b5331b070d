/**
 * @module services/sagemaker/offset-page — one page of a list that is built whole in memory (a
 * record's own members, not a store query), with an opaque offset NextToken.
 */
import { ValidationException } from '../../protocol/errors.js';

export function offsetPage<T>(items: readonly T[], maxResults: number, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (nextToken !== undefined) {
    let v: { o?: unknown } | undefined;
    try {
      v = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { o?: unknown };
    } catch {
      v = undefined;
    }
    if (typeof v?.o !== 'number' || !Number.isInteger(v.o) || v.o < 0) throw new ValidationException('Invalid pagination token.');
    offset = v.o;
  }
  const page = items.slice(offset, offset + maxResults);
  return offset + maxResults < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ o: offset + maxResults })).toString('base64url') } : { page };
}
