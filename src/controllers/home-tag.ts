/** @module controllers/home-tag — a short hash of SLIPWAY_HOME for container names, so two servers with different homes on one engine never adopt each other's containers. */
import { createHash } from 'node:crypto';

export function homeTag(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 8);
}
