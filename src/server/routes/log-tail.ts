/**
 * @module server/routes/log-tail — live tail as server-sent events:
 *   GET /_slipway/logs/stream?group=G[&stream=S | &prefix=P][&tail=N]
 *   GET /_slipway/logs/stream?job=NAME[&kind=training|processing|transform][&tail=N]
 *   GET /_slipway/logs/stream?endpoint=NAME[&tail=N]
 * Each line is `event: log` with data `{"stream","timestamp","message"}`; the last `tail` stored
 * lines (default 100) come first, then new lines as controllers append them.
 */
import type { ServerResponse } from 'node:http';
import { endpointLogGroup } from '../../resources/endpoint.js';
import { PROCESSING_LOG_GROUP } from '../../resources/processing-job.js';
import { TRAINING_LOG_GROUP } from '../../resources/training-job.js';
import { TRANSFORM_LOG_GROUP } from '../../resources/transform-job.js';
import type { LogStore, StoredLogEvent } from '../../storage/log-store.js';
import type { SurfaceHandler } from '../../protocol/surface.js';

const JOB_GROUPS: Record<string, string> = {
  training: TRAINING_LOG_GROUP,
  processing: PROCESSING_LOG_GROUP,
  transform: TRANSFORM_LOG_GROUP,
};

interface Selection {
  group: string;
  matches: (stream: string) => boolean;
  prefix: string;
}

export function selectStreams(q: URLSearchParams): Selection | string {
  const endpoint = q.get('endpoint');
  const job = q.get('job');
  const group = q.get('group');
  if (endpoint) return { group: endpointLogGroup(endpoint), prefix: '', matches: () => true };
  if (job) {
    const kind = q.get('kind') ?? 'training';
    const g = JOB_GROUPS[kind];
    if (!g) return `unknown kind ${kind}; use training, processing or transform`;
    return { group: g, prefix: `${job}/`, matches: (s) => s.startsWith(`${job}/`) };
  }
  if (group) {
    const stream = q.get('stream');
    const prefix = q.get('prefix') ?? '';
    if (stream) return { group, prefix: stream, matches: (s) => s === stream };
    return { group, prefix, matches: (s) => s.startsWith(prefix) };
  }
  return 'give group (with stream or prefix), job or endpoint';
}

export function createLogTailRoute(logs: LogStore): SurfaceHandler {
  return async (req, res, _ctx, url) => {
    const sel = selectStreams(url.searchParams);
    if (typeof sel === 'string') {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: sel }));
      return;
    }
    const tail = Math.max(0, Math.min(10_000, Number(url.searchParams.get('tail') ?? 100) || 0));
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    // Subscribe before reading the backlog so nothing falls between the two; skip duplicates by id.
    const pending: StoredLogEvent[] = [];
    let live = false;
    let lastId = 0;
    const onAppend = (e: { group: string; stream: string; events: StoredLogEvent[] }) => {
      if (e.group !== sel.group || !sel.matches(e.stream)) return;
      if (!live) pending.push(...e.events);
      else send(res, e.events);
    };
    logs.events.on('append', onAppend);
    const backlog: StoredLogEvent[] = [];
    for (const s of await logs.streams(sel.group, sel.prefix)) {
      if (!sel.matches(s.name)) continue;
      backlog.push(...await lastEvents(logs, sel.group, s.name, tail));
    }
    backlog.sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
    const start = backlog.slice(-tail);
    send(res, start);
    for (const e of start) lastId = Math.max(lastId, e.id);
    send(res, pending.filter((e) => e.id > lastId));
    live = true;
    res.write(': live\n\n');
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const close = () => {
      clearInterval(heartbeat);
      logs.events.off('append', onAppend);
    };
    req.on('close', close);
    res.on('close', close);
  };
}

async function lastEvents(logs: LogStore, group: string, stream: string, n: number): Promise<StoredLogEvent[]> {
  if (n === 0) return [];
  const id = await logs.streamId(group, stream);
  if (id === undefined) return [];
  return (await logs.page(id, { limit: n, newestFirst: true })).map((e) => ({ ...e, streamName: stream }));
}

function send(res: ServerResponse, events: StoredLogEvent[]): void {
  for (const e of events) {
    res.write(`event: log\nid: ${e.id}\ndata: ${JSON.stringify({ stream: e.streamName, timestamp: e.timestamp, message: e.message })}\n\n`);
  }
}
