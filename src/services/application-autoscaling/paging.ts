/** @module services/application-autoscaling/paging — MaxResults (default 50, as the API reference says) and opaque NextTokens. */
import { InvalidNextTokenException } from './errors.js';

export const DEFAULT_PAGE = 50;

/** A page of an already-filtered, stably ordered list; the token is the offset, opaque to callers. */
export function pageOf<T>(all: readonly T[], maxResults: number | undefined, token: string | undefined): { items: T[]; NextToken?: string } {
  const start = decodeOffset(token);
  const limit = maxResults ?? DEFAULT_PAGE;
  const items = all.slice(start, start + limit);
  return start + limit < all.length ? { items, NextToken: encodeOffset(start + limit) } : { items };
}

export function encodeOffset(n: number): string {
  return Buffer.from(JSON.stringify({ o: n })).toString('base64url');
}

export function decodeOffset(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // not one of ours
  }
  throw new InvalidNextTokenException();
}
