/**
 * Raft connections over a plain TCP socket (raft-frames.ts): the preface, then framed
 * RaftBatches out and RaftBatchAcks back. The receiving end is the same port as the store's
 * gRPC services (shared-port-server.ts). A connection whose batches go unacknowledged for
 * RAFT_SOCKET_ACK_TIMEOUT_MS is given up: TCP alone may not notice a dead peer for minutes.
 */

import { connect, type Socket } from 'node:net';
import { atoll } from '@atoll/proto';
import { StoreError, StoreErrorCode } from '../errors.js';
import { splitHostPort } from './host-port.js';
import { encodeFrame, FrameReader, RAFT_SOCKET_PREFACE } from './raft-frames.js';
import type { BatchConnection, BatchConnectionEvents, RaftDialer } from './raft-link.js';
import { RAFT_SOCKET_ACK_TIMEOUT_MS } from './transport-limits.js';

/** Opens socket connections; nothing is kept between them. */
export class SocketRaftDialer implements RaftDialer {
  constructor(private readonly ackTimeoutMs = RAFT_SOCKET_ACK_TIMEOUT_MS) {}

  dial(address: string, events: BatchConnectionEvents): BatchConnection {
    let hostPort: [string, number];
    try {
      hostPort = splitHostPort(address);
    } catch (e) {
      // A resolver's bad answer is a broken link like any other, reported after dial().
      const error = new StoreError(StoreErrorCode.StoreUnreachable, String(e), true);
      queueMicrotask(() => events.onBroken(error));
      return { write: () => true, onceDrain: () => {}, close: () => {} };
    }
    return new SocketConnection(address, hostPort, events, this.ackTimeoutMs);
  }

  close(): void {}
}

class SocketConnection implements BatchConnection {
  private readonly socket: Socket;
  private readonly reader = new FrameReader();
  private done = false;
  /** Invariant: acked <= written (sequence numbers of this connection's batches). */
  private written = 0;
  private acked = 0;
  /** `acked` when the ack timer last fired: no progress between two firings is a timeout. */
  private ackedAtCheck = 0;
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: string,
    [host, port]: [string, number],
    private readonly events: BatchConnectionEvents,
    private readonly ackTimeoutMs: number,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.write(RAFT_SOCKET_PREFACE);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => this.broken(e));
    this.socket.on('close', () => this.broken(new Error(`the connection to ${address} closed`)));
  }

  write(batch: atoll.store.IRaftBatch): boolean {
    // Nothing outstanding before this batch: its wait starts now, not at an earlier check.
    if (this.acked >= this.written) this.stopAckTimer();
    this.written = Math.max(this.written, Number(batch.sequence ?? 0));
    this.ackTimer ??= this.startAckTimer();
    return this.socket.write(encodeFrame(atoll.store.RaftBatch.encode(batch).finish()));
  }

  onceDrain(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  close(): void {
    this.done = true;
    this.stopAckTimer();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.broken(e as Error);
      return;
    }
    for (const frame of frames) {
      if (this.done) return;
      let ack: atoll.store.RaftBatchAck;
      try {
        ack = atoll.store.RaftBatchAck.decode(frame);
      } catch (e) {
        this.broken(
          new StoreError(StoreErrorCode.Malformed, `a bad ack from ${this.address}: ${e}`),
        );
        return;
      }
      this.acked = Math.max(this.acked, Number(ack.sequence));
      this.events.onAck(ack);
    }
  }

  private startAckTimer(): NodeJS.Timeout {
    this.ackedAtCheck = this.acked;
    const timer = setInterval(() => {
      if (this.acked >= this.written) {
        this.stopAckTimer();
      } else if (this.acked === this.ackedAtCheck) {
        this.broken(
          new StoreError(
            StoreErrorCode.StoreUnreachable,
            `no ack from ${this.address} for ${this.ackTimeoutMs} ms`,
            true,
          ),
        );
      } else {
        this.ackedAtCheck = this.acked;
      }
    }, this.ackTimeoutMs);
    timer.unref();
    return timer;
  }

  private stopAckTimer(): void {
    if (this.ackTimer) clearInterval(this.ackTimer);
    this.ackTimer = undefined;
  }

  private broken(error: Error): void {
    if (this.done) return;
    this.close();
    this.events.onBroken(error);
  }
}
