/** PD members over mutual TLS: members replicate, a client with a certificate is served, one without is refused. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningPd, startPdServer } from '@atoll/pd/server';
import { isPdClientError, PdClient } from '@atoll/pd-client';
import { loadTls } from '@atoll/store';
import { freePort } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestCerts } from './helpers/certs.js';
import { waitFor } from './helpers/wait.js';

describe('PD over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pd-tls-'));
  const running: RunningPd[] = [];
  afterAll(async () => {
    for (const m of running) await m.stop(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('three members elect a leader and serve a client over mutual TLS only', async () => {
    const tls = loadTls(makeTestCerts(dir));
    const addresses = new Map<number, string>();
    for (const id of [1, 2, 3]) addresses.set(id, `127.0.0.1:${await freePort()}`);
    for (const id of [1, 2, 3]) {
      running.push(
        await startPdServer({
          memberId: id,
          initialCluster: addresses,
          dataDir: 'memory:',
          serverCredentials: tls.server,
          channelCredentials: tls.channel,
        }),
      );
    }
    await waitFor(() => running.some((m) => m.isServing()), 15_000, 'a serving PD leader');
    const client = await PdClient.connect({
      endpoints: [...addresses.values()],
      credentials: tls.channel,
    });
    expect(await client.allocId()).toBeGreaterThan(0);
    expect((await client.getTimestamp()).physical).toBeGreaterThan(0);
    await client.close();

    const e = await PdClient.connect({ endpoints: [...addresses.values()], timeoutMs: 800 }).catch(
      (x: unknown) => x,
    );
    expect(isPdClientError(e, 'PD_CLIENT_ERR_UNAVAILABLE')).toBe(true);
  });
});
