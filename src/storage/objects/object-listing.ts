/**
 * @module storage/objects/object-listing — one ListObjects page from the s3_objects rows: keys in
 * UTF-8 byte order, a delimiter folding keys into common prefixes, markers that skip a whole
 * common prefix already returned.
 *
 * Bounds are text compared bytewise by both engines (SQLite's BINARY collation, PostgreSQL's
 * COLLATE "C" from the migrations): an inclusive lower bound (the prefix, or the first key past a
 * common prefix: `keyUpperBound`) or an exclusive one (a marker, the last row of a batch), so no
 * bound needs bytes that are not valid UTF-8 or a NUL, which PostgreSQL's TEXT cannot hold.
 */
import type { ListPage, ListQuery, StoredObject } from '../s3-backend.js';
import type { SqlDb } from '../sql/sql-db.js';
import { keyUpperBound, requireBucket, type ObjectRow } from './object-rows.js';

interface Lower {
  key: string;
  inclusive: boolean;
}

/** The higher of two lower bounds (at equal text the exclusive one). */
function higher(a: Lower, b: Lower): Lower {
  const c = Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8'));
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? b : a;
}

export async function listObjectPage(db: SqlDb, bucket: string, q: ListQuery, toObject: (row: ObjectRow) => StoredObject): Promise<ListPage> {
  await requireBucket(db, bucket);
  const page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  const { prefix, delimiter } = q;
  const upper = prefix ? keyUpperBound(prefix) : undefined;
  let lower: Lower = { key: prefix, inclusive: true };
  const commonPrefixOf = (key: string): string | undefined => {
    if (!delimiter || !key.startsWith(prefix)) return undefined;
    const i = key.indexOf(delimiter, prefix.length);
    return i < 0 ? undefined : key.slice(0, i + delimiter.length);
  };
  if (q.after !== undefined) {
    // A marker inside a common prefix (or equal to one) skips that whole group: it was returned already.
    const cp = commonPrefixOf(q.after);
    const past = cp !== undefined ? keyUpperBound(cp) : q.after;
    if (past === undefined) return page;
    lower = higher(lower, { key: past, inclusive: cp !== undefined });
  }
  if (q.maxKeys <= 0) return page;
  // No stored key holds U+0000 (checkKey; PostgreSQL's TEXT cannot): a prefix with one matches
  // nothing, and a bound with one is the same bound cut there, made exclusive.
  if (prefix.includes('\u0000')) return page;
  const nul = lower.key.indexOf('\u0000');
  if (nul >= 0) lower = { key: lower.key.slice(0, nul), inclusive: false };

  let count = 0;
  const batch = Math.min(q.maxKeys + 1, 1000);
  for (;;) {
    const sql =
      `SELECT * FROM s3_objects WHERE bucket = ? AND key ${lower.inclusive ? '>=' : '>'} ?` + (upper ? ' AND key < ?' : '') + ' ORDER BY key LIMIT ?';
    const rows = await db.all<ObjectRow>(sql, [bucket, lower.key, ...(upper ? [upper] : []), batch]);
    if (rows.length === 0) return page;
    let skipTo: string | undefined;
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
        skipTo = keyUpperBound(cp);
        if (skipTo === undefined) return page;
        break;
      }
      page.contents.push(toObject(row));
      page.last = row.key;
      count++;
    }
    if (skipTo !== undefined) lower = { key: skipTo, inclusive: true };
    else if (rows.length < batch) return page;
    else lower = { key: rows[rows.length - 1]!.key, inclusive: false };
  }
}
