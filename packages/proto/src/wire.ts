/**
 * Protobuf's wire format written and read by hand, for the few messages on every write's
 * path (a Raft command, a client's put). protobufjs's writer builds a linked list of
 * operation objects and forks a state per nested message; a hand-written encoder sizes the
 * message first and writes it into one buffer. The bytes are the same as protobufjs's for the
 * same fields in the same order (the tests compare them), so either side may decode them.
 *
 * Numbers are JavaScript numbers: uint64 fields up to 2^53 - 1, which covers every id,
 * epoch, index and millisecond clock Atoll writes.
 */

/** Protobuf wire types used here. */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

/** A field's key: its number and wire type. */
export function fieldKey(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Bytes of `n` (a non-negative integer below 2^53) as a varint. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  for (let rest = Math.floor(n / 0x10000000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Bytes of a length-delimited field of `length` bytes (key, length, body). */
export function bytesFieldSize(field: number, length: number): number {
  return varintSize(fieldKey(field, WireType.Bytes)) + varintSize(length) + length;
}

/** Bytes of a varint field holding `n`. */
export function varintFieldSize(field: number, n: number): number {
  return varintSize(fieldKey(field, WireType.Varint)) + varintSize(n);
}

/** The key of a bytes (or nested message) field. */
export const bytesKey = (field: number): number => fieldKey(field, WireType.Bytes);
/** The key of a varint field. */
export const varintKey = (field: number): number => fieldKey(field, WireType.Varint);

/** Bytes of a proto3 bytes field as protobufjs writes it: left out when empty. */
export function optBytesFieldSize(field: number, b: Uint8Array | null | undefined): number {
  return b && b.length > 0 ? bytesFieldSize(field, b.length) : 0;
}

/** Bytes of a proto3 varint field as protobufjs writes it: left out when 0. */
export function optVarintFieldSize(field: number, n: number): number {
  return n !== 0 ? varintFieldSize(field, n) : 0;
}

// atoll.meta.RegionEpoch, the one nested message every hot request carries.
const EPOCH_CONF_VER = 1;
const EPOCH_VERSION = 2;

/** A RegionEpoch's numbers. */
export interface WireEpoch {
  readonly confVer: number;
  readonly version: number;
}

/** Bytes of a RegionEpoch's body. */
export function epochBodySize(e: WireEpoch): number {
  return (
    optVarintFieldSize(EPOCH_CONF_VER, e.confVer) + optVarintFieldSize(EPOCH_VERSION, e.version)
  );
}

/** Writes fields into a buffer sized beforehand (a write past its end throws a RangeError). */
export class WireWriter {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  varint(n: number): void {
    if (n < 0x80 && n >= 0 && this.pos < this.buf.length) {
      this.buf[this.pos++] = n;
      return;
    }
    if (!(n >= 0)) throw new RangeError(`wire: ${n} is not a non-negative number`);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      if (pos >= buf.length) throw new RangeError('wire: write past the sized end');
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    if (pos >= buf.length) throw new RangeError('wire: write past the sized end');
    buf[pos++] = n;
    this.pos = pos;
  }

  /** A varint field. */
  varintField(field: number, n: number): void {
    this.varint(fieldKey(field, WireType.Varint));
    this.varint(n);
  }

  /** A bytes field (or a string's UTF-8 bytes). */
  bytesField(field: number, bytes: Uint8Array): void {
    this.varint(fieldKey(field, WireType.Bytes));
    this.varint(bytes.length);
    if (this.pos + bytes.length > this.buf.length) {
      throw new RangeError('wire: write past the sized end');
    }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A bytes field unless `bytes` is empty (proto3 leaves it out). */
  optBytesField(field: number, bytes: Uint8Array | null | undefined): void {
    if (bytes && bytes.length > 0) this.bytesField(field, bytes);
  }

  /** A varint field unless `n` is 0 (proto3 leaves it out). */
  optVarintField(field: number, n: number): void {
    if (n !== 0) this.varintField(field, n);
  }

  /** A RegionEpoch as field `field` (its header and body). */
  epochField(field: number, e: WireEpoch): void {
    this.messageHeader(field, epochBodySize(e));
    this.optVarintField(EPOCH_CONF_VER, e.confVer);
    this.optVarintField(EPOCH_VERSION, e.version);
  }

  /** The key and length of a nested message whose `length` bytes are written next. */
  messageHeader(field: number, length: number): void {
    this.varint(fieldKey(field, WireType.Bytes));
    this.varint(length);
  }

  /** The written message; throws unless the buffer was sized exactly. */
  finish(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new RangeError(`wire: sized ${this.buf.length} bytes, wrote ${this.pos}`);
    }
    return this.buf;
  }
}

/** A malformed message: truncated, a varint too long, or a wire type that cannot be skipped. */
export class WireError extends Error {}

/** Reads fields of one message (or of a nested one, between `pos` and `end`). */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new WireError('wire: truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    // Eight groups hold 56 bits; Atoll's numbers stay below 2^53.
    throw new WireError('wire: varint over 2^53');
  }

  /**
   * A length-delimited field's bytes, as a plain Uint8Array view of the buffer (no copy;
   * cheaper to make than a Buffer's subarray).
   */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const view = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.pos, end - this.pos);
    this.pos = end;
    return view;
  }

  /** The end of a length-delimited field whose length is read now (the body is not skipped). */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new WireError('wire: truncated length-delimited field');
    return end;
  }

  /** A reader over a nested message's body (its length is read now); this one moves past it. */
  nested(): WireReader {
    const end = this.lengthEnd();
    const inner = new WireReader(this.buf, this.pos, end);
    this.pos = end;
    return inner;
  }

  /** A RegionEpoch (its length is read now); a field it does not know is a WireError. */
  epoch(): WireEpoch {
    const end = this.lengthEnd();
    let confVer = 0;
    let version = 0;
    while (this.pos < end) {
      const k = this.varint();
      if (k === varintKey(EPOCH_CONF_VER)) confVer = this.varint();
      else if (k === varintKey(EPOCH_VERSION)) version = this.varint();
      else throw new WireError(`wire: RegionEpoch field key ${k}`);
    }
    if (this.pos !== end) throw new WireError('wire: RegionEpoch overruns its length');
    return { confVer, version };
  }

  /** Skips a field's value of `wireType`. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.pos += 8;
        break;
      case WireType.Bytes:
        this.pos = this.lengthEnd();
        return;
      case WireType.Fixed32:
        this.pos += 4;
        break;
      default:
        throw new WireError(`wire: cannot skip wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new WireError('wire: truncated fixed field');
  }
}
