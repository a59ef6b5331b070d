/** Unit tests of the event-stream encoder: framing, CRCs, and the SageMaker ResponseStream events. */
import { describe, expect, it } from 'vitest';
import { decodeEventMessages, encodeEventMessage, modelStreamErrorEvent, payloadPartEvent } from './event-stream.js';

describe('event stream encoding', () => {
  it('frames a PayloadPart with the headers botocore expects and valid CRCs', () => {
    const msg = payloadPartEvent(Buffer.from('hello'));
    expect(msg.readUInt32BE(0)).toBe(msg.length);
    const { messages, rest } = decodeEventMessages(Buffer.concat([msg, msg.subarray(0, 5)]));
    expect(rest).toHaveLength(5);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.headers).toEqual({ ':message-type': 'event', ':event-type': 'PayloadPart', ':content-type': 'application/octet-stream' });
    expect(messages[0]!.payload.toString()).toBe('hello');
  });

  it('matches a known-good frame byte for byte', () => {
    // Prelude CRC of total_len=16 headers_len=0 is fixed by the spec's CRC32 (IEEE).
    const msg = encodeEventMessage({}, Buffer.alloc(0));
    expect(msg.toString('hex')).toBe('000000100000000005c248eb7d98c8ff');
  });

  it('detects corruption', () => {
    const msg = Buffer.from(payloadPartEvent(Buffer.from('x')));
    msg[msg.length - 5]! ^= 0xff;
    expect(() => decodeEventMessages(msg)).toThrow(/CRC/);
  });

  it('encodes ModelStreamError as an exception message with a JSON body', () => {
    const { messages } = decodeEventMessages(modelStreamErrorEvent('too slow', 'ModelInvocationTimeExceeded'));
    expect(messages[0]!.headers[':exception-type']).toBe('ModelStreamError');
    expect(JSON.parse(messages[0]!.payload.toString())).toEqual({ Message: 'too slow', ErrorCode: 'ModelInvocationTimeExceeded' });
  });
});
