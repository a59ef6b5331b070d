/**
 * @module controllers/transform-job/object-transformer — one input object through the model
 * (contract §5), streaming end to end:
 *
 *   object bytes ─(gunzip)─► RecordSplitter ─► InputFilter ─► batches (SingleRecord | MultiRecord
 *   up to MaxPayloadInMB) ─► POST /invocations, up to MaxConcurrentTransforms in flight ─► responses
 *   in input order ─► join / OutputFilter ─► AssembleWith ─► `out` (streamed into the store)
 *
 * Memory is bounded by the in-flight window (MaxConcurrentTransforms batches), never the object.
 * A failing record rejects with RecordError naming it; the caller then discards the output.
 */
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { DataProcessor } from './data-processing.js';
import { RecordSplitter, recordSeparator } from './record-splitter.js';
import type { SplitType } from '../../resources/transform-job.js';

export interface TransformParams {
  splitType: SplitType;
  batchStrategy: 'SingleRecord' | 'MultiRecord';
  /** 0 = no limit (SplitType None is then streamed with chunked encoding). */
  maxPayloadBytes: number;
  maxConcurrent: number;
  assembleWith: 'None' | 'Line';
}

/** Sends one request body; resolves with the response body or rejects (InvocationError). */
export type Invoke = (body: Buffer | Readable) => Promise<Buffer>;

/** A record (or batch of records) that could not be transformed. */
export class RecordError extends Error {}

/** Counts concurrent holders; shared by all objects an instance works on. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

interface Batch {
  first: number;
  count: number;
  inputs?: Buffer[];
  response: Promise<Buffer>;
}

function describeRecords(b: { first: number; count: number }): string {
  return b.count === 1 ? `record ${b.first}` : `records ${b.first}-${b.first + b.count - 1} (one MultiRecord batch)`;
}

async function write(out: Writable, data: Buffer | string): Promise<void> {
  if (!out.write(data)) await Promise.race([once(out, 'drain'), once(out, 'close').then(() => Promise.reject(new Error('output stream closed')))]);
}

interface PendingBatch {
  body: Buffer;
  first: number;
  count: number;
  inputs?: Buffer[];
}

/**
 * Line + MultiRecord without DataProcessing, the common CSV case, cut at the byte level: the
 * last newline within MaxPayloadInMB ends a batch, so no per-record buffers are made. Lines are
 * sent verbatim (blank lines included, which CSV readers skip).
 */
async function* lineBatches(source: Readable, max: number): AsyncGenerator<PendingBatch> {
  let pending: Buffer[] = [];
  let size = 0;
  let records = 0;
  const countLines = (b: Buffer) => {
    let n = 0;
    for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
    return n;
  };
  const cut = function* (final: boolean): Generator<PendingBatch> {
    if (size === 0) return;
    let buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    while (buf.length > max || (final && buf.length > 0)) {
      let end: number;
      if (buf.length > max) {
        const nl = buf.lastIndexOf(0x0a, max - 1);
        if (nl < 0) throw new RecordError(`record ${records + 1} is larger than MaxPayloadInMB (${max} bytes)`);
        end = nl + 1;
      } else end = buf.length;
      let body = buf.subarray(0, end);
      if (body[body.length - 1] !== 0x0a) body = Buffer.concat([body, Buffer.from('\n')]);
      const count = countLines(body);
      yield { body, first: records + 1, count };
      records += count;
      buf = buf.subarray(end);
    }
    pending = buf.length ? [buf] : [];
    size = buf.length;
  };
  for await (const chunk of source) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    pending.push(b);
    size += b.length;
    if (size > max) yield* cut(false);
  }
  yield* cut(true);
}

/** Every other combination: records split one by one, filtered, then packed (or sent singly). */
async function* recordBatches(source: Readable, params: TransformParams, processor: DataProcessor): AsyncGenerator<PendingBatch> {
  const sep = recordSeparator(params.splitType);
  const max = params.maxPayloadBytes;
  let records = 0;
  let cur: Buffer[] = [];
  let curInputs: Buffer[] = [];
  let curSize = 0;
  let curFirst = 1;
  const take = (): PendingBatch => {
    const b: PendingBatch = {
      body: sep.length ? Buffer.concat(cur.flatMap((r) => [r, sep])) : Buffer.concat(cur),
      first: curFirst,
      count: cur.length,
      ...(processor.perRecordOutput ? { inputs: curInputs } : {}),
    };
    cur = [];
    curInputs = [];
    curSize = 0;
    return b;
  };
  const add = function* (raw: Buffer): Generator<PendingBatch> {
    records++;
    let rec: Buffer;
    try {
      rec = processor.filterInput(raw);
    } catch (err) {
      throw new RecordError(`record ${records}: InputFilter failed: ${(err as Error).message}`);
    }
    const size = rec.length + sep.length;
    if (max > 0 && size > max) throw new RecordError(`record ${records} is ${rec.length} bytes, larger than MaxPayloadInMB (${max} bytes)`);
    if (params.batchStrategy === 'MultiRecord' && cur.length > 0 && max > 0 && curSize + size > max) yield take();
    if (cur.length === 0) curFirst = records;
    cur.push(rec);
    if (processor.perRecordOutput) curInputs.push(raw);
    curSize += size;
    if (params.batchStrategy === 'SingleRecord') yield take();
  };
  const splitter = new RecordSplitter(params.splitType);
  let seen = 0;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    seen += buf.length;
    if (params.splitType === 'None' && max > 0 && seen > max) {
      throw new RecordError(`record 1 (the whole object, SplitType None) is larger than MaxPayloadInMB (${max} bytes); set SplitType or a larger MaxPayloadInMB`);
    }
    for (const r of splitter.push(buf)) yield* add(r);
  }
  for (const r of splitter.end()) yield* add(r);
  if (cur.length) yield take();
}

/** Transforms one object; resolves with counts once everything is written to `out` (not ended). */
export async function transformObject(o: {
  source: Readable;
  params: TransformParams;
  processor: DataProcessor;
  invoke: Invoke;
  limiter: Semaphore;
  out: Writable;
}): Promise<{ records: number; requests: number }> {
  const { params, processor } = o;
  if (params.splitType === 'None' && params.maxPayloadBytes === 0 && !processor.active) {
    // Whole object, chunked: stream it as the request body.
    await writeResponse(o.out, await o.limiter.run(() => o.invoke(o.source)), params);
    return { records: 1, requests: 1 };
  }
  const fast = params.splitType === 'Line' && params.batchStrategy === 'MultiRecord' && !processor.active && params.maxPayloadBytes > 0;
  const source = fast ? lineBatches(o.source, params.maxPayloadBytes) : recordBatches(o.source, params, processor);
  const window: Batch[] = [];
  let records = 0;
  let requests = 0;

  const drainOne = async () => {
    const b = window.shift()!;
    let resp: Buffer;
    try {
      resp = await b.response;
    } catch (err) {
      throw new RecordError(`${describeRecords(b)}: ${(err as Error).message}`);
    }
    if (!b.inputs) return writeResponse(o.out, resp, params);
    const text = resp.toString('utf8').replace(/\r?\n$/, '');
    const outputs = b.count === 1 ? [text] : text.split(/\r?\n/);
    if (outputs.length !== b.count) {
      throw new RecordError(`${describeRecords(b)}: the model returned ${outputs.length} output records for ${b.count} input records, so they cannot be joined or filtered`);
    }
    const parts: string[] = [];
    for (let i = 0; i < outputs.length; i++) {
      try {
        parts.push(processor.processOutput(b.inputs[i]!, outputs[i]!));
      } catch (err) {
        throw new RecordError(`record ${b.first + i}: OutputFilter/JoinSource failed: ${(err as Error).message}`);
      }
    }
    const glue = params.assembleWith === 'Line' ? '\n' : '';
    await write(o.out, parts.join(glue) + glue);
  };

  for await (const pb of source) {
    const response = o.limiter.run(() => o.invoke(pb.body));
    response.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
    window.push({ first: pb.first, count: pb.count, ...(pb.inputs ? { inputs: pb.inputs } : {}), response });
    records += pb.count;
    requests++;
    if (window.length >= params.maxConcurrent) await drainOne();
  }
  while (window.length) await drainOne();
  return { records, requests };
}

async function writeResponse(out: Writable, resp: Buffer, params: TransformParams): Promise<void> {
  await write(out, resp);
  // AssembleWith Line: one newline after each response, unless it already ends with one.
  if (params.assembleWith === 'Line' && (resp.length === 0 || resp[resp.length - 1] !== 0x0a)) await write(out, '\n');
}
