/**
 * @module services/logs/operations/events — GetLogEvents, FilterLogEvents and PutLogEvents.
 * GetLogEvents follows the real service's token rules: `nextForwardToken`/`nextBackwardToken` are
 * always set, and at either end the token passed in comes back unchanged.
 */
import type { OperationHandlers } from '../../../protocol/operation-table.js';
import type { Operations } from '../generated/types.js';
import type { StoredLogEvent } from '../../../storage/log-store.js';
import { groupNotFound, InvalidParameterException, streamNotFound } from '../errors.js';
import { compileFilterPattern, FilterPatternError } from '../filter-pattern.js';
import { decodeCursor, decodeDirectional, encodeCursor, encodeDirectional } from '../tokens.js';
import { groupName, type LogsDeps } from './groups-and-streams.js';

const MAX_EVENTS = 10_000;
/** FilterLogEvents stops scanning after this many rows and returns a nextToken, as the service does. */
const SCAN_BUDGET = 50_000;
/**
 * Matching runs on the server's only thread: it yields to other requests after this much work,
 * and a call returns what it found (with a nextToken) once it has searched for SCAN_DEADLINE_MS.
 * The service too may return fewer events than asked, or none, with a nextToken
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
 */
const SLICE_MS = 20;
const SCAN_DEADLINE_MS = 5_000;

const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export function eventOperations(deps: LogsDeps): OperationHandlers<Operations> {
  const { logs } = deps;
  return {
    GetLogEvents: async (_ctx, input) => {
      const group = groupName(input);
      if (!await logs.groupExists(group)) throw groupNotFound();
      const streamId = await logs.streamId(group, input.logStreamName);
      if (streamId === undefined) throw streamNotFound();
      const limit = Math.min(input.limit ?? MAX_EVENTS, MAX_EVENTS);
      const range = { startTime: input.startTime, endTime: input.endTime };
      let events: StoredLogEvent[];
      let passed: string | undefined;
      if (input.nextToken) {
        const { dir, cursor } = decodeDirectional(input.nextToken);
        passed = input.nextToken;
        events =
          dir === 'f'
            ? await logs.page(streamId, { ...range, after: cursor, limit, newestFirst: false })
            : await logs.page(streamId, { ...range, before: cursor, limit, newestFirst: true });
        if (events.length === 0) {
          // At the end: hand back the same token so pollers can keep asking.
          return {
            events: [],
            nextForwardToken: dir === 'f' ? passed : encodeDirectional('f', cursor),
            nextBackwardToken: dir === 'b' ? passed : encodeDirectional('b', { timestamp: cursor.timestamp, id: cursor.id + 1 }),
          };
        }
      } else {
        events = await logs.page(streamId, { ...range, limit, newestFirst: input.startFromHead !== true });
        if (events.length === 0) {
          const origin = { timestamp: input.startTime ?? 0, id: 0 };
          return { events: [], nextForwardToken: encodeDirectional('f', origin), nextBackwardToken: encodeDirectional('b', origin) };
        }
      }
      const first = events[0]!;
      const last = events[events.length - 1]!;
      return {
        events: events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: encodeDirectional('f', last),
        nextBackwardToken: encodeDirectional('b', first),
      };
    },

    FilterLogEvents: async (_ctx, input) => {
      const group = groupName(input);
      if (!await logs.groupExists(group)) throw groupNotFound();
      if (input.logStreamNames && input.logStreamNamePrefix) {
        throw new InvalidParameterException('logStreamNames and logStreamNamePrefix are mutually exclusive.');
      }
      let match;
      try {
        match = compileFilterPattern(input.filterPattern);
      } catch (err) {
        if (err instanceof FilterPatternError) throw new InvalidParameterException(err.message);
        throw err;
      }
      let streams = await logs.streams(group, input.logStreamNamePrefix ?? '');
      if (input.logStreamNames) {
        const wanted = new Set(input.logStreamNames);
        streams = streams.filter((s) => wanted.has(s.name));
      }
      const names = new Map(streams.map((s) => [s.id, s.name]));
      const limit = Math.min(input.limit ?? MAX_EVENTS, MAX_EVENTS);
      let after = input.nextToken ? decodeCursor(input.nextToken) : undefined;
      const out: { logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }[] = [];
      let scanned = 0;
      let exhausted = false;
      const started = performance.now();
      let sliceStart = started;
      while (out.length < limit && scanned < SCAN_BUDGET) {
        const now = performance.now();
        if (now - started > SCAN_DEADLINE_MS) break;
        if (now - sliceStart > SLICE_MS) {
          await yieldToOthers();
          sliceStart = performance.now();
        }
        const batch = await logs.scan([...names.keys()], { startTime: input.startTime, endTime: input.endTime, after, limit: 1000 });
        if (batch.length === 0) {
          exhausted = true;
          break;
        }
        for (const e of batch) {
          scanned++;
          after = e;
          // One event can be a megabyte: the clock is checked per event, not per batch.
          if (performance.now() - sliceStart > SLICE_MS) {
            await yieldToOthers();
            sliceStart = performance.now();
          }
          if (match(e.message)) {
            out.push({
              logStreamName: names.get(e.streamId)!,
              timestamp: e.timestamp,
              message: e.message,
              ingestionTime: e.ingestionTime,
              eventId: String(e.id).padStart(20, '0'),
            });
            if (out.length >= limit) break;
          }
        }
        if (batch.length < 1000 && out.length < limit) {
          exhausted = true;
          break;
        }
      }
      const result: Record<string, unknown> = {
        events: out,
        searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: exhausted })),
      };
      if (!exhausted && after) result.nextToken = encodeCursor(after);
      return result;
    },

    PutLogEvents: async (_ctx, input) => {
      if (!await logs.groupExists(input.logGroupName)) throw groupNotFound();
      if ((await logs.streamId(input.logGroupName, input.logStreamName)) === undefined) throw streamNotFound();
      const events = [...input.logEvents].sort((a, b) => a.timestamp - b.timestamp);
      await logs.append(input.logGroupName, input.logStreamName, events);
      return { nextSequenceToken: String(Date.now()) };
    },
  };
}
