/**
 * A growable byte writer and a bounds-checked reader for the storage layer's own record
 * formats (hard state, apply state, locks, write records, snapshot frames). Varints are
 * unsigned LEB128. The reader throws STORAGE_ERR_CORRUPT on any overrun: stored or received
 * bytes are never trusted to be well formed.
 */

import { readU64, readU64Big, writeU64, writeU64Big } from './bytes.js';
import { corruptError } from './errors.js';

const INITIAL_WRITER_BYTES = 64;

/** Appends fields to a buffer that doubles as needed. */
export class ByteWriter {
  private buf: Uint8Array;
  private at = 0;

  constructor(capacity = INITIAL_WRITER_BYTES) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  get length(): number {
    return this.at;
  }

  u8(n: number): this {
    this.ensure(1);
    this.buf[this.at++] = n & 0xff;
    return this;
  }

  /** An unsigned integer below 2^53 as LEB128. */
  varint(n: number): this {
    this.ensure(8);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.at++] = v;
    return this;
  }

  u32(n: number): this {
    this.ensure(4);
    this.buf[this.at++] = n >>> 24;
    this.buf[this.at++] = (n >>> 16) & 0xff;
    this.buf[this.at++] = (n >>> 8) & 0xff;
    this.buf[this.at++] = n & 0xff;
    return this;
  }

  u64(n: number): this {
    this.ensure(8);
    writeU64(this.buf, this.at, n);
    this.at += 8;
    return this;
  }

  u64Big(n: bigint): this {
    this.ensure(8);
    writeU64Big(this.buf, this.at, n);
    this.at += 8;
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buf.set(b, this.at);
    this.at += b.byteLength;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): this {
    return this.varint(b.byteLength).raw(b);
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

/** Reads fields in order; every read checks bounds. */
export class ByteReader {
  private at = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.at + n > this.buf.byteLength) throw corruptError(`${this.what}: truncated`);
  }

  get offset(): number {
    return this.at;
  }

  get remaining(): number {
    return this.buf.byteLength - this.at;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
    throw corruptError(`${this.what}: varint too long`);
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const at = this.at;
    this.at += 4;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  u64(): number {
    this.need(8);
    // The top 11 bits must be zero for the value to be a safe integer.
    if (this.buf[this.at] !== 0 || this.buf[this.at + 1]! >= 0x20) {
      throw corruptError(`${this.what}: u64 above 2^53`);
    }
    const n = readU64(this.buf, this.at);
    this.at += 8;
    return n;
  }

  u64Big(): bigint {
    this.need(8);
    const n = readU64Big(this.buf, this.at);
    this.at += 8;
    return n;
  }

  /** `n` bytes, copied (the source may be a reused buffer). */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Length-prefixed bytes. */
  bytes(): Uint8Array {
    return this.raw(this.varint());
  }

  /** Asserts that the record was read to its end. */
  end(): void {
    if (this.at !== this.buf.byteLength) throw corruptError(`${this.what}: trailing bytes`);
  }
}
