import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DataProcessor } from './data-processing.js';
import { applyJsonPath, parseJsonPath } from '../../resources/jsonpath.js';
import { RecordSplitter } from './record-splitter.js';
import { RecordError, Semaphore, transformObject, type TransformParams } from './object-transformer.js';

const jp = (path: string, v: unknown) => applyJsonPath(parseJsonPath(path), v);

function recordIO(payload: string): Buffer {
  const p = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0xced7230a, 0);
  head.writeUInt32LE(p.length, 4);
  return Buffer.concat([head, p, Buffer.alloc((4 - (p.length % 4)) % 4)]);
}

describe('RecordSplitter', () => {
  it('splits lines across chunk boundaries and skips empty lines', () => {
    const s = new RecordSplitter('Line');
    const out = [...s.push(Buffer.from('a,1\nb,')), ...s.push(Buffer.from('2\r\n\nc,3')), ...s.end()].map(String);
    expect(out).toEqual(['a,1', 'b,2', 'c,3']);
  });
  it('splits RecordIO keeping headers and dropping padding', () => {
    const s = new RecordSplitter('RecordIO');
    const all = Buffer.concat([recordIO('hello'), recordIO('four')]);
    const out = [...s.push(all.subarray(0, 7)), ...s.push(all.subarray(7)), ...s.end()];
    expect(out.map((b) => b.subarray(8).toString())).toEqual(['hello', 'four']);
    expect(out[0]!.length).toBe(13);
  });
  it('rejects a truncated TFRecord', () => {
    const s = new RecordSplitter('TFRecord');
    s.push(Buffer.alloc(5));
    expect(() => s.end()).toThrow(/TFRecord/);
  });
});

describe('JSONPath subset', () => {
  it('selects keys, indexes, slices and wildcards', () => {
    expect(jp('$[1:]', [1, 2, 3])).toEqual([2, 3]);
    expect(jp('$[0,-1]', [1, 2, 3])).toEqual([1, 3]);
    expect(jp('$.features', { features: [1] })).toEqual([1]);
    expect(jp("$['id','SageMakerOutput']", { id: 1, x: 2, SageMakerOutput: 3 })).toEqual({ id: 1, SageMakerOutput: 3 });
    expect(jp('$.a.*', { a: { b: 1, c: 2 } })).toEqual([1, 2]);
    expect(jp('$', 5)).toBe(5);
  });
});

describe('DataProcessor', () => {
  it('joins CSV input and output columns and filters them', () => {
    const p = new DataProcessor({ InputFilter: '$[1:]', OutputFilter: '$[0,-1]', JoinSource: 'Input' }, 'csv', 'csv');
    expect(p.filterInput(Buffer.from('7,5.1,3.5')).toString()).toBe('5.1,3.5');
    expect(p.processOutput(Buffer.from('7,5.1,3.5'), 'setosa')).toBe('7,setosa');
  });
  it('wraps non-object JSON input as SageMakerInput', () => {
    const p = new DataProcessor({ JoinSource: 'Input' }, 'json', 'json');
    expect(JSON.parse(p.processOutput(Buffer.from('[1,2]'), '[2]'))).toEqual({ SageMakerInput: [1, 2], SageMakerOutput: [2] });
    const q = new DataProcessor({ JoinSource: 'Input', OutputFilter: "$['id','SageMakerOutput']" }, 'json', 'json');
    expect(JSON.parse(q.processOutput(Buffer.from('{"id":1,"f":[1]}'), '0.5'))).toEqual({ id: 1, SageMakerOutput: 0.5 });
  });
});

describe('transformObject', () => {
  const params = (o: Partial<TransformParams> = {}): TransformParams => ({
    splitType: 'Line',
    batchStrategy: 'MultiRecord',
    maxPayloadBytes: 12,
    maxConcurrent: 3,
    assembleWith: 'Line',
    ...o,
  });
  async function run(input: string, p: TransformParams, invoke: (b: Buffer) => Promise<Buffer>, dp = new DataProcessor(undefined, undefined, undefined)) {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const bodies: string[] = [];
    const stats = await transformObject({
      source: Readable.from([Buffer.from(input)]),
      params: p,
      processor: dp,
      invoke: async (b) => {
        bodies.push(String(b));
        return invoke(b as Buffer);
      },
      limiter: new Semaphore(p.maxConcurrent),
      out,
    });
    return { stats, bodies, output: Buffer.concat(chunks).toString() };
  }

  it('packs records up to the payload limit and keeps input order with out-of-order responses', async () => {
    let n = 0;
    const r = await run('a1\nb2\nc3\nd4\ne5\n', params(), async (b) => {
      await new Promise((res) => setTimeout(res, 30 - 10 * n++));
      return Buffer.from(String(b).toUpperCase());
    });
    expect(r.bodies).toEqual(['a1\nb2\nc3\nd4\n', 'e5\n']);
    expect(r.output).toBe('A1\nB2\nC3\nD4\nE5\n');
    expect(r.stats).toEqual({ records: 5, requests: 2 });
  });
  it('names the failing record', async () => {
    await expect(
      run('ok\nbad\n', params({ batchStrategy: 'SingleRecord' }), async (b) => {
        if (String(b).startsWith('bad')) throw new Error('the model container answered 500');
        return b;
      }),
    ).rejects.toThrow(new RecordError('record 2: the model container answered 500'));
  });
});
