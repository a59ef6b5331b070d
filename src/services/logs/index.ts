/** @module services/logs — the CloudWatch Logs operation table (operations arrive with the observability issue). */
import type { OperationTable } from '../../protocol/json11/json11-surface.js';

export function logsOperations(_deps: unknown): OperationTable {
  return {};
}
