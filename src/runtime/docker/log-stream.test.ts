import { describe, expect, it } from 'vitest';
import type { LogLine } from '../container-runtime.js';
import { decodeLogStream, FrameDecoder, LineAssembler, parseTimestampedLine } from './log-stream.js';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

async function collect(source: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of source) out.push(l);
  return out;
}

const T1 = '2024-05-01T12:00:00.123456789Z';
const T1_MS = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
const T2 = '2024-05-01T12:00:01.5Z';
const T2_MS = Date.UTC(2024, 4, 1, 12, 0, 1, 500);

describe('parseTimestampedLine', () => {
  it('parses an RFC3339Nano prefix into epoch milliseconds', () => {
    expect(parseTimestampedLine(`${T1} hello world`, 0)).toEqual({ timestamp: T1_MS, message: 'hello world' });
  });

  it('accepts short fractions, no fraction and numeric offsets', () => {
    expect(parseTimestampedLine(`${T2} x`, 0).timestamp).toBe(T2_MS);
    expect(parseTimestampedLine('2024-05-01T12:00:00Z x', 0).timestamp).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseTimestampedLine('2024-05-01T14:00:00.25+02:00 x', 0).timestamp).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 250));
  });

  it('keeps a line without timestamp whole and uses the fallback time', () => {
    expect(parseTimestampedLine('no stamp here', 42)).toEqual({ timestamp: 42, message: 'no stamp here' });
  });

  it('keeps an empty message', () => {
    expect(parseTimestampedLine(`${T1} `, 0)).toEqual({ timestamp: T1_MS, message: '' });
  });
});

describe('FrameDecoder', () => {
  it('reassembles frames split at any byte', () => {
    const bytes = Buffer.concat([frame(1, 'abc'), frame(2, 'defg'), frame(1, '')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
        ['stdout', 'abc'],
        ['stderr', 'defg'],
        ['stdout', ''],
      ]);
      expect(d.leftover).toBe(0);
    }
  });
});

describe('LineAssembler', () => {
  it('buffers partial lines per stream across frames', () => {
    const a = new LineAssembler(() => 0);
    expect(a.push({ stream: 'stdout', payload: Buffer.from(`${T1} hel`) })).toEqual([]);
    expect(a.push({ stream: 'stderr', payload: Buffer.from(`${T2} oops\n`) })).toEqual([
      { stream: 'stderr', timestamp: T2_MS, message: 'oops' },
    ]);
    expect(a.push({ stream: 'stdout', payload: Buffer.from(`lo\n${T2} next\r\n${T2} tail`) })).toEqual([
      { stream: 'stdout', timestamp: T1_MS, message: 'hello' },
      { stream: 'stdout', timestamp: T2_MS, message: 'next' },
    ]);
    expect(a.flush()).toEqual([{ stream: 'stdout', timestamp: T2_MS, message: 'tail' }]);
    expect(a.flush()).toEqual([]);
  });

  it('decodes a multi-byte character split across frames', () => {
    const a = new LineAssembler(() => 0);
    const bytes = Buffer.from(`${T1} café\n`);
    const cut = bytes.indexOf(0xc3) + 1;
    expect(a.push({ stream: 'stdout', payload: bytes.subarray(0, cut) })).toEqual([]);
    expect(a.push({ stream: 'stdout', payload: bytes.subarray(cut) })).toEqual([
      { stream: 'stdout', timestamp: T1_MS, message: 'café' },
    ]);
  });
});

describe('decodeLogStream', () => {
  it('yields stdout and stderr lines in order and a final partial line', async () => {
    const bytes = Buffer.concat([
      frame(1, `${T1} one\n`),
      frame(2, `${T1} err\n`),
      frame(1, `${T2} two\n${T2} last-no-newline`),
    ]);
    const lines = await collect(decodeLogStream(chunks(bytes.subarray(0, 5), bytes.subarray(5, 30), bytes.subarray(30))));
    expect(lines).toEqual([
      { stream: 'stdout', timestamp: T1_MS, message: 'one' },
      { stream: 'stderr', timestamp: T1_MS, message: 'err' },
      { stream: 'stdout', timestamp: T2_MS, message: 'two' },
      { stream: 'stdout', timestamp: T2_MS, message: 'last-no-newline' },
    ]);
  });

  it('drops lines older than sinceMs', async () => {
    const bytes = Buffer.concat([frame(1, `${T1} old\n`), frame(1, `${T2} new\n`)]);
    const lines = await collect(decodeLogStream(chunks(bytes), { sinceMs: T1_MS + 1 }));
    expect(lines.map((l) => l.message)).toEqual(['new']);
  });
});
