/**
 * The framed socket protocol of a store's shared port (the wire contract beside gRPC): a
 * connection opens with an 8-byte preface naming what it carries, then each direction is a
 * sequence of frames, `[length u32 big-endian][protobuf message]`.
 *
 * - RAFT_PREFACE: store to store, RaftBatch out, RaftBatchAck back.
 * - KV_PREFACE: client to store, KvRequestBatch out, KvResponseBatch back.
 *
 * The same messages as the gRPC `Raft` and `Kv/Stream` calls, without HTTP/2 around them: on
 * loopback a round trip costs less than half the CPU. An HTTP/2 connection starts with
 * "PRI * HTTP/2.0" and a TLS one with 0x16, so neither is mistaken for a preface. Not here:
 * sockets (the store's shared-port-server.ts, the client's socket-kv-sender.ts).
 */

/** Bytes of every preface. */
export const PREFACE_BYTES = 8;
/** Opens a store-to-store Raft connection. */
export const RAFT_PREFACE = Buffer.from('ATOLRAFT', 'latin1');
/** Opens a client-to-store Kv connection. */
export const KV_PREFACE = Buffer.from('ATOLKV01', 'latin1');

/** Bytes of a frame's length prefix. */
const LENGTH_BYTES = 4;

/** A frame announced more bytes than the reader accepts: the connection must go. */
export class FrameTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly max: number,
  ) {
    super(`a frame of ${bytes} bytes is over the ${max}-byte cap`);
  }
}

/** One frame: the length prefix and `body`, in one buffer (one write, one syscall). */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 0);
  frame.set(body, LENGTH_BYTES);
  return frame;
}

/**
 * Cuts a byte stream into frame bodies. Chunks are kept as they arrive and copied once, when a
 * frame spanning several of them completes; a frame inside one chunk is a view, not a copy.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly frameBytesMax: number) {}

  /**
   * Adds `chunk` and returns the frames it completed, in order. Throws FrameTooLargeError
   * when a frame announces more than the cap: the peer is broken or hostile, and nothing after
   * that point can be trusted to be aligned.
   */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < LENGTH_BYTES) break;
      const length = this.peekHead().readUInt32BE(0);
      if (length > this.frameBytesMax) throw new FrameTooLargeError(length, this.frameBytesMax);
      if (this.buffered < LENGTH_BYTES + length) break;
      frames.push(this.take(LENGTH_BYTES + length).subarray(LENGTH_BYTES));
    }
    return frames;
  }

  /** Bytes received and not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** The first LENGTH_BYTES bytes (joining chunks only if the prefix is split). */
  private peekHead(): Buffer {
    const first = this.chunks[0]!;
    if (first.byteLength >= LENGTH_BYTES) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const part = Math.min(c.byteLength, n - at);
        c.copy(out, at, 0, part);
        at += part;
        if (part === c.byteLength) this.chunks.shift();
        else this.chunks[0] = c.subarray(part);
      }
    }
    this.buffered -= n;
    return out;
  }
}
