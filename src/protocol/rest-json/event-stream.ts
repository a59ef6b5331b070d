/**
 * @module protocol/rest-json/event-stream — AWS event stream message encoder (the framing botocore's
 * `eventstream.py` and the JS SDK's eventstream codec read) and the SageMaker Runtime
 * `ResponseStream` events built on it (contract §1.4).
 *
 *   [total_len u32][headers_len u32][prelude_crc u32 = CRC32(first 8 bytes)]
 *   [headers ...][payload ...][message_crc u32 = CRC32(all preceding bytes)]
 *   header = [name_len u8][name][type u8 = 7 (string)][value_len u16][value]
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

const PRELUDE = 8;
const CRC = 4;
/** botocore refuses larger payloads per message; callers split bigger chunks. */
export const MAX_EVENT_PAYLOAD = 16 * 1024 * 1024;

/** Native (zlib) CRC32: about 50x the pure-JS implementation, and every streamed chunk pays it. */
function crc32(buf: Uint8Array): number {
  return zlibCrc32(buf) >>> 0;
}

/** Encodes one message whose headers are all strings (the only type SageMaker Runtime uses). */
export function encodeEventMessage(headers: Readonly<Record<string, string>>, payload: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length > 255 || v.length > 65535) throw new RangeError(`event header ${name} too long`);
    const h = Buffer.allocUnsafe(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    parts.push(h);
  }
  const headerBytes = Buffer.concat(parts);
  const total = PRELUDE + CRC + headerBytes.length + payload.length + CRC;
  const msg = Buffer.allocUnsafe(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headerBytes.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, PRELUDE)), PRELUDE);
  headerBytes.copy(msg, PRELUDE + CRC);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(msg, PRELUDE + CRC + headerBytes.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - CRC)), total - CRC);
  return msg;
}

export interface DecodedEventMessage {
  headers: Record<string, string>;
  payload: Buffer;
}

/**
 * Decodes every complete message in `buf` (string headers only), verifying both CRCs; returns the
 * messages and the unconsumed rest. Used by tests and by clients of our own (CLI, console).
 */
export function decodeEventMessages(buf: Buffer): { messages: DecodedEventMessage[]; rest: Buffer } {
  const messages: DecodedEventMessage[] = [];
  let off = 0;
  while (buf.length - off >= PRELUDE + CRC) {
    const total = buf.readUInt32BE(off);
    if (buf.length - off < total) break;
    const m = buf.subarray(off, off + total);
    const headersLen = m.readUInt32BE(4);
    if (crc32(m.subarray(0, PRELUDE)) !== m.readUInt32BE(PRELUDE)) throw new Error('event stream prelude CRC mismatch');
    if (crc32(m.subarray(0, total - CRC)) !== m.readUInt32BE(total - CRC)) throw new Error('event stream message CRC mismatch');
    const headers: Record<string, string> = {};
    let p = PRELUDE + CRC;
    const end = p + headersLen;
    while (p < end) {
      const nl = m.readUInt8(p);
      const name = m.subarray(p + 1, p + 1 + nl).toString('utf8');
      const type = m.readUInt8(p + 1 + nl);
      if (type !== 7) throw new Error(`unsupported event header type ${type}`);
      const vl = m.readUInt16BE(p + 2 + nl);
      headers[name] = m.subarray(p + 4 + nl, p + 4 + nl + vl).toString('utf8');
      p += 4 + nl + vl;
    }
    messages.push({ headers, payload: Buffer.from(m.subarray(end, total - CRC)) });
    off += total;
  }
  return { messages, rest: buf.subarray(off) };
}

/** One `PayloadPart` event: the container's bytes as the event payload (member `Bytes`). */
export function payloadPartEvent(bytes: Uint8Array): Buffer {
  return encodeEventMessage(
    { ':message-type': 'event', ':event-type': 'PayloadPart', ':content-type': 'application/octet-stream' },
    bytes,
  );
}

export type ModelStreamErrorCode = 'ModelInvocationTimeExceeded' | 'StreamBroken';

/** Modelled in-stream error; botocore raises it as `ModelStreamError` with `ErrorCode`. */
export function modelStreamErrorEvent(message: string, errorCode: ModelStreamErrorCode): Buffer {
  return encodeEventMessage(
    { ':message-type': 'exception', ':exception-type': 'ModelStreamError', ':content-type': 'application/json' },
    Buffer.from(JSON.stringify({ Message: message, ErrorCode: errorCode })),
  );
}

export function internalStreamFailureEvent(message: string): Buffer {
  return encodeEventMessage(
    { ':message-type': 'exception', ':exception-type': 'InternalStreamFailure', ':content-type': 'application/json' },
    Buffer.from(JSON.stringify({ Message: message })),
  );
}
