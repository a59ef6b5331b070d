/** @module services/logs/tokens — pagination tokens for the Logs API: cursors and offsets, opaque to clients. */
import type { Cursor } from '../../storage/log-store.js';
import { InvalidParameterException } from './errors.js';

/** GetLogEvents tokens keep AWS's visible `f/` and `b/` prefixes (forward / backward). */
export function encodeDirectional(dir: 'f' | 'b', c: Cursor): string {
  return `${dir}/${String(c.timestamp).padStart(16, '0')}/${String(c.id).padStart(20, '0')}`;
}

export function decodeDirectional(token: string): { dir: 'f' | 'b'; cursor: Cursor } {
  const m = /^([fb])\/(-?\d+)\/(\d+)$/.exec(token);
  if (!m) throw new InvalidParameterException('The specified nextToken is invalid.');
  return { dir: m[1] as 'f' | 'b', cursor: { timestamp: Number(m[2]), id: Number(m[3]) } };
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.timestamp}:${c.id}`).toString('base64url');
}

export function decodeCursor(token: string): Cursor {
  const m = /^(-?\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new InvalidParameterException('The specified nextToken is invalid.');
  return { timestamp: Number(m[1]), id: Number(m[2]) };
}

export function encodeOffset(n: number): string {
  return Buffer.from(`o:${n}`).toString('base64url');
}

export function decodeOffset(token: string | undefined): number {
  if (!token) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new InvalidParameterException('The specified nextToken is invalid.');
  return Number(m[1]);
}
