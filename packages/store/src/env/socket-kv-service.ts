/**
 * The Kv service over a framed socket (@atoll/proto/frames, KV_PREFACE): clients on the
 * store's shared port without HTTP/2. Each connection is dressed as a Kv stream call and
 * served by the same session as gRPC's `Kv/Stream` (grpc-kv-server.ts): the same in-flight
 * bound, pause and coalesced responses. A frame over the cap or one that does not decode
 * closes the connection.
 */

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { atoll } from '@atoll/proto';
import { encodeFrame, FrameReader } from '@atoll/proto/frames';
import { decodeKvRequestBatch, encodeKvResponseBatch } from '@atoll/proto/kv-wire';
import { type KvServiceOptions, type KvStreamCall, serveKvStream } from './grpc-kv-server.js';
import type { KvHandler } from './kv-handler.js';
import { SOCKET_FRAME_BYTES_MAX } from './transport-limits.js';

/** Inbound socket Kv connections of one store. */
export class SocketKvService {
  private readonly open = new Set<Socket>();

  constructor(
    private readonly handler: KvHandler,
    private readonly options: KvServiceOptions = {},
  ) {}

  /** Serves `socket`, its preface already consumed. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    serveKvStream(new SocketKvCall(socket), this.handler, this.options);
  }

  /** Closes every connection (a stopping store: clients see their requests fail). */
  closeAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

/** A socket seen as a Kv stream call: frames in and out, the socket's flow control. */
class SocketKvCall extends EventEmitter implements KvStreamCall {
  private readonly reader = new FrameReader(SOCKET_FRAME_BYTES_MAX);

  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.emit('end'));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.emit('cancelled'));
  }

  write(batch: atoll.kv.IKvResponseBatch): boolean {
    if (this.socket.destroyed) return true;
    return this.socket.write(encodeFrame(encodeKvResponseBatch(batch.responses ?? [])));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    let batches: atoll.kv.IKvRequestBatch[];
    try {
      batches = this.reader.push(chunk).map((f) => ({ requests: decodeKvRequestBatch(f) }));
    } catch {
      // Oversized or undecodable: nothing after it is aligned. The client sees the close.
      this.socket.destroy();
      return;
    }
    for (const batch of batches) this.emit('data', batch);
  }
}
