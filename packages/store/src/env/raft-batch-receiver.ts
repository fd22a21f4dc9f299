/**
 * The receiving end of one Raft connection, whatever carries it (a gRPC `Raft` stream or a
 * socket): every batch is checked (cluster id, destination store) before its envelopes reach
 * the store; a mismatch is answered with an error ack (STORE_ERR_CLUSTER_MISMATCH or
 * STORE_ERR_STORE_MISMATCH) and the connection is ended. Accepted batches are delivered in
 * order, envelopes first and then the heartbeat, and acknowledged cumulatively for the
 * sender's window: at once when the sender asks, otherwise together within
 * RAFT_ACK_DELAY_MS.
 */

import type { atoll } from '@atoll/proto';
import { checkAddress, type ReceiverIdentity } from './grpc-snapshot-receiver.js';
import type { TransportHandlers } from './transport.js';
import { RAFT_ACK_DELAY_MS } from './transport-limits.js';

/** Where a receiver's acks go: the connection's outbound half. */
export interface AckSink {
  /** Writes an ack; false when the connection pushes back. */
  write(ack: atoll.store.IRaftBatchAck): boolean;
  /** The sender is not reading its acks: stop reading its batches until it drains them. */
  pauseUntilDrained(): void;
  /** Ends the connection after what was written. */
  end(): void;
  /** True once the connection can take nothing more. */
  readonly ended: boolean;
}

/** The receiving state of one connection. */
export class RaftBatchReceiver {
  private refused = false;
  private received = 0;
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handlers: TransportHandlers,
    private readonly me: ReceiverIdentity,
    private readonly sink: AckSink,
  ) {}

  /** Checks, delivers and (now or soon) acknowledges one batch. */
  onBatch(batch: atoll.store.RaftBatch): void {
    if (this.refused) return;
    const sequence = Number(batch.sequence);
    const refusal = checkAddress(batch.clusterId, batch.toStore, this.me);
    if (refusal) {
      this.refused = true;
      this.sink.write({ sequence, errorCode: refusal.code, errorMessage: refusal.message });
      this.sink.end();
      return;
    }
    const from = Number(batch.fromStore);
    if (batch.envelopes.length > 0) this.handlers.onEnvelopes(from, batch.envelopes);
    if (batch.heartbeat) this.handlers.onStoreHeartbeat(from);
    this.received = Math.max(this.received, sequence);
    if (batch.ackRequested) this.ack();
    else this.ackTimer ??= setTimeout(() => this.ack(), RAFT_ACK_DELAY_MS);
  }

  /** The connection is gone: drop the pending ack. */
  close(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  private ack(): void {
    this.close();
    if (this.refused || this.sink.ended) return;
    if (!this.sink.write({ sequence: this.received })) this.sink.pauseUntilDrained();
  }
}
