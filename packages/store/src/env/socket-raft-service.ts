/**
 * The receiving side of the socket Raft link: serves connections whose preface the shared port
 * already read (shared-port-server.ts). Each connection's frames are RaftBatches for one
 * RaftBatchReceiver (checks, delivery, acks), its acks go back framed. A frame over the cap or
 * one that does not decode closes the connection: after a bad frame nothing is aligned.
 */

import type { Socket } from 'node:net';
import { atoll } from '@atoll/proto';
import type { ReceiverIdentity } from './grpc-snapshot-receiver.js';
import { RaftBatchReceiver } from './raft-batch-receiver.js';
import { encodeFrame, FrameReader } from './raft-frames.js';
import type { TransportHandlers } from './transport.js';

/** Inbound socket Raft connections of one store. */
export class SocketRaftService {
  private readonly open = new Set<Socket>();

  constructor(
    private readonly handlers: TransportHandlers,
    private readonly me: ReceiverIdentity,
    /** A connection was dropped for a bad frame (the peer is broken or not a store). */
    private readonly onBadFrame?: (error: Error) => void,
  ) {}

  /** Serves `socket`, its preface already consumed. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.open.add(socket);
    const reader = new FrameReader();
    const receiver = new RaftBatchReceiver(this.handlers, this.me, {
      write: (ack) => socket.write(encodeFrame(atoll.store.RaftBatchAck.encode(ack).finish())),
      pauseUntilDrained: () => {
        socket.pause();
        socket.once('drain', () => socket.resume());
      },
      end: () => socket.end(),
      get ended() {
        return socket.writableEnded || socket.destroyed;
      },
    });
    const bad = (e: unknown) => {
      socket.destroy();
      this.onBadFrame?.(e instanceof Error ? e : new Error(String(e)));
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        bad(e);
        return;
      }
      for (const frame of frames) {
        if (socket.destroyed) return;
        let batch: atoll.store.RaftBatch;
        try {
          batch = atoll.store.RaftBatch.decode(frame);
        } catch (e) {
          bad(e);
          return;
        }
        // Outside the try: an exception from the store is the store's, not a bad frame.
        receiver.onBatch(batch);
      }
    });
    // 'close' follows every error; there is nothing else to do with one.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.open.delete(socket);
      receiver.close();
    });
  }

  /** Connections open now. */
  get connections(): number {
    return this.open.size;
  }

  /** Closes every connection (a stopping store; senders reconnect or give up on their own). */
  closeAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}
