/**
 * @module runtime/docker/log-stream — turns Docker's multiplexed, timestamped log stream into
 * `LogLine`s. Pure byte handling; the socket side lives in docker-runtime.ts.
 *
 * Wire format (containers created without a TTY), see
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerAttach
 *
 *   [stream:1][0 0 0][size:4 BE][payload:size] [stream][0 0 0][size][payload] ...
 *   stream 1 = stdout, 2 = stderr; with `timestamps=1` each log entry in the payload starts with
 *   an RFC3339Nano time and a space: `2024-05-01T12:00:00.123456789Z hello\n`.
 *
 * Frames may be split across socket chunks and lines across frames, so both are buffered.
 */
import type { LogLine } from '../container-runtime.js';

type StreamName = LogLine['stream'];

const HEADER_BYTES = 8;

/** One demultiplexed piece of a stream, in arrival order. */
export interface LogFrame {
  stream: StreamName;
  payload: Buffer;
}

/**
 * Incremental demultiplexer: feed socket chunks in, get complete frames out. Stream type 0
 * (stdin) never appears in logs; anything that is not stderr is treated as stdout.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: LogFrame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - HEADER_BYTES < size) break;
      const type = this.pending[offset];
      const start = offset + HEADER_BYTES;
      frames.push({
        stream: type === 2 ? 'stderr' : 'stdout',
        payload: this.pending.subarray(start, start + size),
      });
      offset = start + size;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of an incomplete frame left when the stream ended (a truncated stream). */
  get leftover(): number {
    return this.pending.length;
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2}) /;

/**
 * Splits `<RFC3339Nano> <message>` into epoch milliseconds and message. Sub-millisecond digits
 * are dropped (JavaScript dates hold milliseconds). A line without a timestamp gets `fallbackMs`.
 */
export function parseTimestampedLine(line: string, fallbackMs: number): { timestamp: number; message: string } {
  const m = TIMESTAMP.exec(line);
  if (!m) return { timestamp: fallbackMs, message: line };
  const fraction = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const timestamp = Date.parse(`${m[1]}.${fraction}${m[3]}`);
  if (Number.isNaN(timestamp)) return { timestamp: fallbackMs, message: line };
  return { timestamp, message: line.slice(m[0].length) };
}

/**
 * Turns frames into lines, keeping a partial line per stream until its newline arrives.
 * Bytes are kept (not strings) until a line is complete so multi-byte UTF-8 characters split
 * across frames decode correctly. A trailing `\r` is dropped too (CRLF output).
 */
export class LineAssembler {
  private partial: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };

  constructor(private readonly now: () => number = Date.now) {}

  push(frame: LogFrame): LogLine[] {
    const lines: LogLine[] = [];
    let data = frame.payload;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl < 0) break;
      const parts = this.partial[frame.stream];
      parts.push(data.subarray(0, nl));
      this.partial[frame.stream] = [];
      lines.push(this.toLine(frame.stream, Buffer.concat(parts)));
      data = data.subarray(nl + 1);
    }
    if (data.length > 0) this.partial[frame.stream].push(data);
    return lines;
  }

  /** Emits what is left without a newline (e.g. a final `printf 'done'`). */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const parts = this.partial[stream];
      this.partial[stream] = [];
      if (parts.length > 0) {
        const bytes = Buffer.concat(parts);
        if (bytes.length > 0) lines.push(this.toLine(stream, bytes));
      }
    }
    return lines;
  }

  private toLine(stream: StreamName, bytes: Buffer): LogLine {
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const { timestamp, message } = parseTimestampedLine(text, this.now());
    return { stream, timestamp, message };
  }
}

/**
 * Decodes a whole multiplexed byte stream into lines. Ends with the source; a final partial
 * line is emitted. Lines older than `sinceMs` are skipped (the engine's `since` has only
 * whole-request granularity, this makes the cut exact to the millisecond).
 */
export async function* decodeLogStream(
  source: AsyncIterable<Buffer | string>,
  opts: { sinceMs?: number; now?: () => number } = {},
): AsyncGenerator<LogLine> {
  const decoder = new FrameDecoder();
  const assembler = new LineAssembler(opts.now);
  const keep = (line: LogLine) => opts.sinceMs === undefined || line.timestamp >= opts.sinceMs;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const frame of decoder.push(buf)) {
      for (const line of assembler.push(frame)) if (keep(line)) yield line;
    }
  }
  for (const line of assembler.flush()) if (keep(line)) yield line;
}
