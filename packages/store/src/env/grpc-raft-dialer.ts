/**
 * Raft connections over gRPC: each is a `Raft` bidi stream of the StoreTransport service, on a
 * channel of its own per destination store (shared with nothing else: snapshots open their
 * own). Used where the socket link is not (TLS clusters, and `--raft-link grpc`).
 */

import type { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { grpcChannelOptions } from './grpc-options.js';
import type { BatchConnection, BatchConnectionEvents, RaftDialer } from './raft-link.js';

type RaftStream = grpc.ClientDuplexStream<atoll.store.IRaftBatch, atoll.store.RaftBatchAck>;

/** A generic client of the StoreTransport service (one per channel). */
export const StoreTransportClient = grpc.makeGenericClientConstructor(
  storeTransportService,
  'StoreTransport',
);

/** Opens `Raft` streams to one store, reusing its channel while the address holds. */
export class GrpcRaftDialer implements RaftDialer {
  private client: grpc.Client | undefined;
  private clientAddress = '';

  constructor(private readonly credentials: grpc.ChannelCredentials) {}

  dial(address: string, events: BatchConnectionEvents): BatchConnection {
    const stream = this.channelClient(address).makeBidiStreamRequest(
      storeTransportService.raft.path,
      storeTransportService.raft.requestSerialize,
      storeTransportService.raft.responseDeserialize,
    ) as RaftStream;
    stream.on('data', (ack: atoll.store.RaftBatchAck) => events.onAck(ack));
    stream.on('error', (e: Error) => events.onBroken(e));
    stream.on('end', () => events.onBroken(new Error('the peer ended the stream')));
    return {
      write: (batch) => stream.write(batch),
      onceDrain: (resume) => stream.once('drain', resume),
      close: () => stream.cancel(),
    };
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private channelClient(address: string): grpc.Client {
    if (this.client && this.clientAddress !== address) {
      // The store moved (or the resolver changed its mind): start over on the new address.
      this.client.close();
      this.client = undefined;
    }
    this.client ??= new StoreTransportClient(address, this.credentials, grpcChannelOptions);
    this.clientAddress = address;
    return this.client;
  }
}
