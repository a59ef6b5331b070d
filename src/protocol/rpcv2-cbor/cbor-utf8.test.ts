import { encode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { cborTextIsUtf8 } from './cbor-utf8.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('cborTextIsUtf8', () => {
  it('accepts what an encoder writes: maps, arrays, tags, floats, byte strings, non-ASCII text', () => {
    expect(cborTextIsUtf8(encode({ Namespace: 'Fuzz/é', MetricData: [{ Value: 1.5, Timestamp: new Date(0), Blob: Buffer.from([0xff]) }] }))).toBe(true);
  });

  it('refuses a text string that is not UTF-8, as a map key, a value or an indefinite-length chunk', () => {
    expect(cborTextIsUtf8(bytes(0xa1, 0x61, 0x41, 0x62, 0xc3, 0x28))).toBe(false);
    expect(cborTextIsUtf8(bytes(0xa1, 0x62, 0xc3, 0x28, 0x01))).toBe(false);
    expect(cborTextIsUtf8(bytes(0x7f, 0x61, 0x41, 0x61, 0xff, 0xff))).toBe(false);
  });

  it('leaves byte strings alone and leaves malformed input to the decoder', () => {
    expect(cborTextIsUtf8(bytes(0x42, 0xc3, 0x28))).toBe(true);
    expect(cborTextIsUtf8(bytes(0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0))).toBe(true);
    expect(cborTextIsUtf8(bytes(0x63, 0x41))).toBe(true);
  });

  it('walks 100,000 levels of nesting without recursion', () => {
    const deep = new Uint8Array(100_001).fill(0x81);
    deep[100_000] = 0x01;
    expect(cborTextIsUtf8(deep)).toBe(true);
  });
});
