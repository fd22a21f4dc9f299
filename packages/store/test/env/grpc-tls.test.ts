/**
 * TLS on the store's gRPC listeners, from PEM files (what a `--tls-*` flag will name): a
 * throwaway CA and a certificate for 127.0.0.1 made with openssl; the Raft transport and the
 * Kv client connect over TLS, and a client without the CA is turned away. Skipped when
 * openssl is not installed.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kvService, storeTransportService } from '@atoll/proto/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcKvClient } from '../../src/env/grpc-kv-client.js';
import { createKvService } from '../../src/env/grpc-kv-server.js';
import { channelCredentials, serverCredentials } from '../../src/env/grpc-options.js';
import { type RunningGrpcServer, startLoopbackGrpcServer } from '../../src/env/grpc-server.js';
import { GrpcRaftTransport } from '../../src/env/grpc-transport.js';
import { createStoreTransportService } from '../../src/env/grpc-transport-service.js';
import { StoreErrorCode } from '../../src/errors.js';
import { envelope, Recorder, waitFor } from './helpers.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-tls-'));
  const file = (name: string) => join(dir, name);
  let server: RunningGrpcServer;
  const recorder = new Recorder();

  beforeAll(async () => {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=atoll-test-ca',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      file('store.key'),
      '-out',
      file('store.csr'),
    );
    writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      file('store.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      file('ext.cnf'),
      '-out',
      file('store.pem'),
    );
    server = await startLoopbackGrpcServer(
      (s) => {
        s.addService(
          storeTransportService,
          createStoreTransportService(recorder, {
            clusterId: 1,
            storeId: 2,
          }),
        );
        s.addService(kvService, createKvService({ handle: async (r) => ({ id: r.id }) }));
      },
      serverCredentials({ certFile: file('store.pem'), keyFile: file('store.key') }),
    );
  });

  afterAll(async () => {
    await server?.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries Raft batches and Kv requests over TLS', async () => {
    const tls = channelCredentials({ caFile: file('ca.pem') });
    const t1 = new GrpcRaftTransport({
      storeId: 1,
      clusterId: 1,
      resolve: async () => `127.0.0.1:${server.port}`,
      credentials: tls,
    });
    const client = new GrpcKvClient(`127.0.0.1:${server.port}`, { credentials: tls });
    try {
      t1.send(2, [envelope(1, 1, 2)]);
      t1.flush();
      await waitFor(() => recorder.indexesFrom(1).length === 1, 'delivery over TLS');
      expect(Number((await client.send({ get: { key: Buffer.from('k') } })).id)).toBeGreaterThan(0);
    } finally {
      await t1.close();
      await client.close();
    }
  });

  it('turns away a client that does not trust the CA', async () => {
    // TLS with the system's roots (which do not hold the test CA), and plaintext.
    for (const credentials of [channelCredentials({}), channelCredentials()]) {
      const client = new GrpcKvClient(`127.0.0.1:${server.port}`, {
        connectTimeoutMs: 500,
        credentials,
      });
      try {
        await expect(client.send({ get: { key: Buffer.from('k') } })).rejects.toMatchObject({
          code: StoreErrorCode.NotSent,
        });
      } finally {
        await client.close();
      }
    }
  });
});
