// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), read by hand: OTLP
// needs six primitives, and a generated decoder (protobufjs) would pull a dependency and allocate
// an object per message before Keel copies it into its own span model. The reader walks one buffer
// with a cursor; nested messages are read in place (the caller keeps the end offset), so decoding a
// request allocates only the values it keeps. Every malformed byte is reported with its offset.
import { KeelError } from '../../errors.js';

/** Wire types: how a field's bytes are laid out. Groups (3, 4) are obsolete and refused. */
export const wire = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const hexPairs: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const twoPow32 = 4_294_967_296;

export function malformed(message: string, offset: number): KeelError {
  return new KeelError('invalid_input', `The protobuf body is malformed: ${message} at byte ${offset}.`, {
    hint: 'Send an OTLP ExportTraceServiceRequest (opentelemetry.proto.collector.trace.v1) as binary protobuf, or use application/json.',
    details: { offset },
  });
}

export class ProtobufReader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.buf.length;
  }

  /** A field's key: field number << 3 | wire type. */
  tag(): number {
    const at = this.pos;
    const key = this.varint();
    if (key >>> 3 === 0) throw malformed('field number 0', at);
    return key;
  }

  /** An unsigned varint up to 2^53 (lengths, enums, bools, counts); longer ones are refused. */
  varint(): number {
    const buf = this.buf;
    const first = buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    const at = this.pos;
    let b: number;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= buf.length) throw malformed('a varint runs past the end of the body', at);
      b = buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw malformed('a varint is longer than this field allows', at);
  }

  /**
   * An int64 varint (AnyValue.int_value): a number when it fits exactly in a double, else its decimal
   * text, so that a 64-bit id sent as an integer attribute is stored as sent.
   */
  int64(): number | string {
    const buf = this.buf;
    const at = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw malformed('a varint runs past the end of the body', at);
      const b = buf[this.pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        if (hi < 0x200000) return hi * twoPow32 + lo;
        const big = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
      }
      shift += 7;
    }
    throw malformed('a varint is longer than 10 bytes', at);
  }

  private need(bytes: number, what: string): number {
    const at = this.pos;
    if (at + bytes > this.buf.length) throw malformed(`${what} runs past the end of the body`, at);
    this.pos = at + bytes;
    return at;
  }

  fixed32(): number {
    return this.view.getUint32(this.need(4, 'a fixed32'), true);
  }

  double(): number {
    return this.view.getFloat64(this.need(8, 'a double'), true);
  }

  /**
   * A fixed64 time in Unix nanoseconds, as whole milliseconds. Exact without BigInt: hi * 2^32 is
   * split as hi * 4294 * 10^6 + hi * 967296, so every intermediate stays below 2^53.
   */
  fixed64Millis(): number {
    const at = this.need(8, 'a fixed64');
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    const rest = hi * 967_296 + lo;
    let q = Math.floor(rest / 1e6);
    if (q * 1e6 > rest) q--;
    return hi * 4294 + q;
  }

  /** A length-delimited field's bounds: returns its end offset and leaves the cursor at its start. */
  lengthEnd(): number {
    const at = this.pos;
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw malformed(`a field of ${len} bytes runs past the end of the body`, at);
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    // Short ASCII strings (attribute keys, names) are built directly: cheaper than a native call.
    if (end - start <= 24) {
      let out = '';
      for (let i = start; i < end; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return buf.toString('utf8', start, end);
        out += String.fromCharCode(c);
      }
      return out;
    }
    return buf.toString('utf8', start, end);
  }

  /** Bytes as lower-case hex (trace and span ids). */
  hex(): string {
    const end = this.lengthEnd();
    let out = '';
    for (let i = this.pos; i < end; i++) out += hexPairs[this.buf[i]!];
    this.pos = end;
    return out;
  }

  base64(): string {
    const end = this.lengthEnd();
    const out = this.buf.toString('base64', this.pos, end);
    this.pos = end;
    return out;
  }

  /** Skips a field this decoder does not read (unknown fields must be ignored, as protobuf does). */
  skip(key: number): void {
    const at = this.pos;
    switch (key & 7) {
      case wire.varint: this.int64(); return;
      case wire.fixed64: this.need(8, 'a fixed64'); return;
      case wire.bytes: this.pos = this.lengthEnd(); return;
      case wire.fixed32: this.need(4, 'a fixed32'); return;
      default: throw malformed(`wire type ${key & 7} of field ${key >>> 3} is not valid`, at);
    }
  }

  /** Throws unless a known field came with the wire type its schema gives it. */
  expect(key: number, wireType: number, field: string): void {
    if ((key & 7) !== wireType) throw malformed(`${field} has wire type ${key & 7}, expected ${wireType}`, this.pos);
  }

  /** Checks that a nested message ended exactly where its length said. */
  close(end: number, message: string): void {
    if (this.pos !== end) throw malformed(`a field of ${message} runs past the end of the message`, end);
  }
}
