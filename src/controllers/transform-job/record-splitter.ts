/**
 * @module controllers/transform-job/record-splitter — SplitType (contract §5) applied to a byte
 * stream incrementally: chunks go in, whole records come out, so an object of any size is split
 * with memory bounded by the largest record. Pure.
 *
 *   Line      newline-delimited; the record excludes `\n` (and a `\r` before it); empty lines skipped
 *   RecordIO  MXNet RecordIO: magic 0xced7230a, uint32 LE length (upper 3 bits cflag), payload,
 *             padding to 4 bytes; the record keeps its header, the padding is dropped
 *   TFRecord  uint64 LE length, uint32 masked CRC of it, data, uint32 masked CRC; kept whole
 *   None      the whole object is one record
 */
import type { SplitType } from '../../resources/transform-job.js';

const RECORDIO_MAGIC = 0xced7230a;

export class RecordFormatError extends Error {}

export class RecordSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly type: SplitType) {}

  /** Records completed by this chunk, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.type === 'None') return [];
    const out: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const next = this.recordAt(pos);
      if (!next) break;
      if (next.record) out.push(next.record);
      pos = next.end;
    }
    // Copy the tail so the consumed prefix (and the chunk it came from) can be collected.
    this.buf = pos === 0 ? this.buf : Buffer.from(this.buf.subarray(pos));
    return out;
  }

  /** The last record(s) at end of stream. Throws RecordFormatError for a truncated binary record. */
  end(): Buffer[] {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (this.type === 'None') return [rest];
    if (rest.length === 0) return [];
    if (this.type === 'Line') {
      const line = stripCr(rest);
      return line.length ? [line] : [];
    }
    throw new RecordFormatError(`the object ends inside a ${this.type} record (${rest.length} trailing bytes)`);
  }

  private recordAt(pos: number): { record?: Buffer; end: number } | undefined {
    const b = this.buf;
    if (this.type === 'Line') {
      const nl = b.indexOf(0x0a, pos);
      if (nl < 0) return undefined;
      const line = stripCr(b.subarray(pos, nl));
      return { record: line.length ? line : undefined, end: nl + 1 };
    }
    if (this.type === 'RecordIO') {
      if (b.length - pos < 8) return undefined;
      if (b.readUInt32LE(pos) !== RECORDIO_MAGIC) throw new RecordFormatError(`bad RecordIO magic at byte ${pos}`);
      const len = b.readUInt32LE(pos + 4) & 0x1fffffff;
      const padded = 8 + len + ((4 - (len % 4)) % 4);
      if (b.length - pos < 8 + len) return undefined;
      if (b.length - pos < padded) return undefined;
      return { record: b.subarray(pos, pos + 8 + len), end: pos + padded };
    }
    // TFRecord
    if (b.length - pos < 12) return undefined;
    const len = Number(b.readBigUInt64LE(pos));
    const total = 12 + len + 4;
    if (b.length - pos < total) return undefined;
    return { record: b.subarray(pos, pos + total), end: pos + total };
  }
}

function stripCr(b: Buffer): Buffer {
  return b.length && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b;
}

/** How records are joined into one request body (MultiRecord) and its size. */
export function recordSeparator(type: SplitType): Buffer {
  return type === 'Line' ? Buffer.from('\n') : Buffer.alloc(0);
}
