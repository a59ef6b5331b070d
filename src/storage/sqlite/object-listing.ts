/**
 * @module storage/sqlite/object-listing — one ListObjects page from the s3_objects rows: keys in
 * UTF-8 byte order, a delimiter folding keys into common prefixes, markers that skip a whole
 * common prefix already returned.
 */
import type { ListPage, ListQuery, StoredObject } from '../s3-backend.js';
import type { Db } from './database.js';
import { justAfter, prefixUpperBound, requireBucket, type ObjectRow } from './object-rows.js';

export function listObjectPage(db: Db, bucket: string, q: ListQuery, toObject: (row: ObjectRow) => StoredObject): ListPage {
  requireBucket(db, bucket);
  const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  const { prefix, delimiter } = q;
  const upper = prefix ? prefixUpperBound(prefix) : undefined;
  let lower: Buffer = Buffer.from(prefix, 'utf8');
  const commonPrefixOf = (key: string): string | undefined => {
    if (!delimiter || !key.startsWith(prefix)) return undefined;
    const i = key.indexOf(delimiter, prefix.length);
    return i < 0 ? undefined : key.slice(0, i + delimiter.length);
  };
  if (q.after !== undefined) {
    // A marker inside a common prefix (or equal to one) skips that whole group: it was returned already.
    const cp = commonPrefixOf(q.after);
    const afterBound = cp !== undefined ? prefixUpperBound(cp) : justAfter(q.after);
    if (!afterBound) return page;
    if (Buffer.compare(afterBound, lower) > 0) lower = afterBound;
  }
  if (q.maxKeys <= 0) return page;

  const sql =
    'SELECT * FROM s3_objects WHERE bucket = ? AND key >= CAST(? AS TEXT)' +
    (upper ? ' AND key < CAST(? AS TEXT)' : '') +
    ' ORDER BY key LIMIT ?';
  const stmt = db.prepare(sql);
  let count = 0;
  const batch = Math.min(q.maxKeys + 1, 1000);
  for (;;) {
    const params: unknown[] = [bucket, lower, ...(upper ? [upper] : []), batch];
    const rows = stmt.all(...params) as ObjectRow[];
    if (rows.length === 0) return page;
    let skipTo: Buffer | undefined;
    for (const row of rows) {
      if (count === q.maxKeys) {
        page.isTruncated = true;
        return page;
      }
      const cp = commonPrefixOf(row.key);
      if (cp !== undefined) {
        page.commonPrefixes.push(cp);
        page.last = cp;
        count++;
        skipTo = prefixUpperBound(cp);
        if (!skipTo) return page;
        break;
      }
      page.contents.push(toObject(row));
      page.last = row.key;
      count++;
    }
    if (skipTo) lower = skipTo;
    else if (rows.length < batch) return page;
    else lower = justAfter(rows[rows.length - 1]!.key);
  }
}
