/** @module services/logs/operations/groups-and-streams — log group and stream operations (create, describe, delete, retention). */
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations } from '../generated/types.js';
import type { LogStore } from '../../../storage/log-store.js';
import { groupNotFound, InvalidParameterException, ResourceAlreadyExistsException, streamNotFound } from '../errors.js';
import { decodeOffset, encodeOffset } from '../tokens.js';

export interface LogsDeps {
  logs: LogStore;
  config: { region: string; accountId: string };
}

/** `logGroupIdentifier` may be a name or an ARN (`arn:aws:logs:r:a:log-group:NAME[:*]`). */
export function groupName(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  const id = input.logGroupName ?? input.logGroupIdentifier;
  if (!id) throw new InvalidParameterException('Either logGroupName or logGroupIdentifier is required.');
  const m = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(id);
  return m ? m[1]! : id;
}

export function groupArn(deps: LogsDeps, name: string): string {
  return `arn:aws:logs:${deps.config.region}:${deps.config.accountId}:log-group:${name}`;
}

export function groupsAndStreamsOperations(deps: LogsDeps): OperationHandlers<Operations> {
  const { logs } = deps;
  const requireGroup = async (name: string) => {
    if (!await logs.groupExists(name)) throw groupNotFound();
  };
  return {
    CreateLogGroup: async (_ctx, input) => {
      if (await logs.groupExists(input.logGroupName)) throw new ResourceAlreadyExistsException('The specified log group already exists');
      await logs.ensureGroup(input.logGroupName);
      return {};
    },
    CreateLogStream: async (_ctx, input) => {
      await requireGroup(input.logGroupName);
      if ((await logs.streamId(input.logGroupName, input.logStreamName)) !== undefined) {
        throw new ResourceAlreadyExistsException('The specified log stream already exists');
      }
      await logs.ensureStream(input.logGroupName, input.logStreamName);
      return {};
    },
    DeleteLogGroup: async (_ctx, input) => {
      if (!await logs.deleteGroup(input.logGroupName)) throw groupNotFound();
      return {};
    },
    DeleteLogStream: async (_ctx, input) => {
      await requireGroup(input.logGroupName);
      if (!await logs.deleteStream(input.logGroupName, input.logStreamName)) throw streamNotFound();
      return {};
    },
    PutRetentionPolicy: async (_ctx, input) => {
      await requireGroup(input.logGroupName);
      await logs.setRetention(input.logGroupName, input.retentionInDays);
      return {};
    },
    DeleteRetentionPolicy: async (_ctx, input) => {
      await requireGroup(input.logGroupName);
      await logs.setRetention(input.logGroupName, null);
      return {};
    },
    DescribeLogGroups: async (_ctx, input) => {
      const all = await logs.groups(input.logGroupNamePrefix ?? '');
      const start = decodeOffset(input.nextToken);
      const limit = input.limit ?? 50;
      const page = all.slice(start, start + limit).map((g) => {
        const arn = groupArn(deps, g.name);
        return {
          logGroupName: g.name,
          creationTime: g.creationTime,
          ...(g.retentionDays !== null ? { retentionInDays: g.retentionDays } : {}),
          metricFilterCount: 0,
          arn: `${arn}:*`,
          logGroupArn: arn,
          storedBytes: g.storedBytes,
          logGroupClass: 'STANDARD' as const,
        };
      });
      return start + limit < all.length ? { logGroups: page, nextToken: encodeOffset(start + limit) } : { logGroups: page };
    },
    DescribeLogStreams: async (_ctx, input) => {
      const name = groupName(input);
      await requireGroup(name);
      if (input.orderBy === 'LastEventTime' && input.logStreamNamePrefix) {
        throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      let streams = await logs.streams(name, input.logStreamNamePrefix ?? '');
      if (input.orderBy === 'LastEventTime') {
        streams = streams.sort((a, b) => (a.lastEventTime ?? 0) - (b.lastEventTime ?? 0) || a.name.localeCompare(b.name));
      }
      if (input.descending) streams.reverse();
      const start = decodeOffset(input.nextToken);
      const limit = input.limit ?? 50;
      const arn = groupArn(deps, name);
      const page = streams.slice(start, start + limit).map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.firstEventTime !== null ? { firstEventTimestamp: s.firstEventTime } : {}),
        ...(s.lastEventTime !== null ? { lastEventTimestamp: s.lastEventTime } : {}),
        ...(s.lastIngestionTime !== null ? { lastIngestionTime: s.lastIngestionTime } : {}),
        uploadSequenceToken: '1',
        arn: `${arn}:log-stream:${s.name}`,
        storedBytes: s.storedBytes,
      }));
      // Only when more streams exist: the SageMaker Python SDK loops while nextToken is present.
      return start + limit < streams.length ? { logStreams: page, nextToken: encodeOffset(start + limit) } : { logStreams: page };
    },
  };
}
