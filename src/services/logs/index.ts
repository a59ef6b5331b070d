/** @module services/logs — the CloudWatch Logs operation table. */
import { operationTable, type OperationTable } from '../../protocol/operation-table.js';
import type { Operations } from './generated/types.js';
import { eventOperations } from './operations/events.js';
import { groupsAndStreamsOperations, type LogsDeps } from './operations/groups-and-streams.js';

export function logsOperations(deps: LogsDeps): OperationTable {
  return operationTable<Operations>({ ...groupsAndStreamsOperations(deps), ...eventOperations(deps) });
}
