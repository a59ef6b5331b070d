/**
 * @module protocol/rpcv2-cbor/cbor-utf8 — checks that every text string in a CBOR item is valid
 * UTF-8 before decoding: RFC 8949 §3.1 (major type 3 is UTF-8) and §5.3.1 (invalid text strings
 * make the item invalid), while cbor-x decodes leniently and would store U+FFFD instead.
 *
 * One pass over the bytes with an explicit stack (deeply nested input cannot overflow the call
 * stack); anything it cannot walk (truncation, reserved bytes) is left for the decoder to refuse.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Items still to read in an open container: a count, or Infinity for indefinite length. */
type Frame = { left: number };

/** Returns false when a text string is not valid UTF-8; true otherwise (including malformed input the decoder will refuse). */
export function cborTextIsUtf8(buf: Uint8Array): boolean {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: Frame[] = [{ left: 1 }];
  let i = 0;
  /** The argument of the head at `i`; undefined for indefinite length, NaN when it runs past the end. */
  const argument = (info: number): number | undefined => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (info === 31) return undefined;
    if (size === 0 || i + size > buf.length) return NaN;
    const v = size === 1 ? view.getUint8(i) : size === 2 ? view.getUint16(i) : size === 4 ? view.getUint32(i) : Number(view.getBigUint64(i));
    i += size;
    return v;
  };
  while (stack.length > 0 && i < buf.length) {
    const top = stack[stack.length - 1]!;
    if (top.left === 0) {
      stack.pop();
      continue;
    }
    const ib = buf[i++]!;
    if (ib === 0xff && top.left === Infinity) {
      stack.pop(); // "break" ends an indefinite-length container
      continue;
    }
    top.left--;
    const major = ib >> 5;
    const n = argument(ib & 31);
    if (Number.isNaN(n)) return true;
    switch (major) {
      case 2:
      case 3:
        if (n === undefined) {
          stack.push({ left: Infinity }); // chunks follow, each a definite string of the same type
          break;
        }
        if (i + n > buf.length) return true;
        if (major === 3) {
          try {
            utf8.decode(buf.subarray(i, i + n));
          } catch {
            return false;
          }
        }
        i += n;
        break;
      case 4:
        stack.push({ left: n === undefined ? Infinity : n });
        break;
      case 5:
        stack.push({ left: n === undefined ? Infinity : 2 * n });
        break;
      case 6:
        stack.push({ left: 1 }); // a tag wraps exactly one item
        break;
      default:
        break; // integers, simple values and floats: the argument was the whole item
    }
  }
  return true;
}
