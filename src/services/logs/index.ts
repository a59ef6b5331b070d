/** @module services/logs — the CloudWatch Logs operation table. */
import type { OperationTable } from '../../protocol/operation-table.js';
import { eventOperations } from './operations/events.js';
import { groupsAndStreamsOperations, type LogsDeps } from './operations/groups-and-streams.js';

export function logsOperations(deps: LogsDeps): OperationTable {
  return { ...groupsAndStreamsOperations(deps), ...eventOperations(deps) };
}
