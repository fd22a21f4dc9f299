/**
 * KvSender with one unary gRPC call per request (`Kv.Call`). Slower than the batched stream
 * (GrpcKvSender); kept as the measured baseline and for environments that cannot keep
 * streams open.
 */

import type { atoll } from '@atoll/proto';
import { kvService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions } from './grpc-kv-sender.js';
import { type KvRequest, type KvResponse, type KvSender, SendError, SendFailure } from './ports.js';

const KvClient = grpc.makeGenericClientConstructor(kvService, 'Kv');

export class GrpcUnaryKvSender implements KvSender {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {}

  send(address: string, request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    let client = this.clients.get(address);
    if (!client) {
      client = new KvClient(address, this.credentials, clientChannelOptions);
      this.clients.set(address, client);
    }
    const ready = client.getChannel().getConnectivityState(true) === grpc.connectivityState.READY;
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest<atoll.kv.KvRequest, atoll.kv.IKvResponse>(
        kvService.call.path,
        kvService.call.requestSerialize,
        kvService.call.responseDeserialize as (b: Buffer) => atoll.kv.IKvResponse,
        request as atoll.kv.KvRequest,
        { deadline: Date.now() + deadlineMs },
        (err: grpc.ServiceError | null, resp?: atoll.kv.IKvResponse) => {
          if (!err) resolve(resp!);
          else if (err.code === grpc.status.UNAVAILABLE && !ready)
            reject(new SendError(SendFailure.NotSent, err.message));
          else reject(new SendError(SendFailure.Unknown, err.message));
        },
      );
    });
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
