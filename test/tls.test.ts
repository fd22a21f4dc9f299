/** Mutual TLS on every gRPC listener: stores and clients with certificates work; without, refused. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, GrpcKvSender, type RegionInfo, staticLocator } from '@atoll/client';
import { loadTls } from '@atoll/store';
import { type RunningStore, startStoreServer } from '@atoll/store/server';
import { regionOn } from '@atoll/store/testing';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestCerts } from './helpers/certs.js';
import { waitFor } from './helpers/wait.js';

describe('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-tls-'));
  const running: RunningStore[] = [];
  afterAll(async () => {
    for (const s of running) await s.stop(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores replicate and serve over mutual TLS; a client without a certificate is refused', async () => {
    const tls = loadTls(makeTestCerts(dir));
    const region = regionOn(1, [1, 2, 3]);
    const addresses = new Map<number, string>();
    for (const id of [1, 2, 3]) {
      const s = await startStoreServer({
        storeId: id,
        clusterId: 1,
        dataDir: 'memory:',
        listen: '127.0.0.1:0',
        resolveStore: async (x) => addresses.get(x)!,
        bootstrapRegions: [region],
        serverCredentials: tls.server,
        channelCredentials: tls.channel,
        config: { tickMs: 20 },
      });
      running.push(s);
      addresses.set(id, `127.0.0.1:${s.port}`);
    }
    await waitFor(
      () => running.some((s) => s.store.peers.get(1)?.isLeader),
      10_000,
      'a leader over TLS',
    );
    const info: RegionInfo = {
      id: 1,
      startKey: Buffer.alloc(0),
      endKey: Buffer.alloc(0),
      epoch: region.epoch,
      peers: region.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
    };
    const client = createClient({
      locator: staticLocator([info], addresses),
      sender: new GrpcKvSender(tls.channel),
      timeoutMs: 10_000,
    });
    await client.put('secret', 'ok');
    expect((await client.get('secret'))?.toString()).toBe('ok');
    await client.close();

    const plain = createClient({
      locator: staticLocator([info], addresses),
      sender: new GrpcKvSender(grpc.credentials.createInsecure()),
      timeoutMs: 1_500,
    });
    await expect(plain.get('secret')).rejects.toMatchObject({ code: 'CLIENT_ERR_TIMEOUT' });
    await plain.close();
  });
});
