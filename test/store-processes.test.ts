/**
 * Three store processes over real gRPC and LMDB on loopback, regions placed statically.
 * Concurrent writes while the store leading the most regions is killed with SIGKILL and
 * restarted: every acknowledged write is readable afterwards, and the stores converge to
 * identical data per region. Counters incremented by compare-and-swap at the same time
 * show that a write retried after the kill is applied once: a CAS applied twice would
 * leave a counter above the increments its client saw succeed.
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClient,
  GrpcKvSender,
  isAtollError,
  type RegionInfo,
  staticLocator,
} from '@atoll/client';
import { evenRegions } from '@atoll/store';
import { AtollProcess, freePort, killAll } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('store processes', () => {
  const root = mkdtempSync(join(tmpdir(), 'atoll-procs-'));
  afterAll(() => {
    killAll();
    rmSync(root, { recursive: true, force: true });
  });

  // With the write-ahead log (the default: batches acknowledged once in each store's log,
  // replayed into LMDB at the restart), with the logs outside the data folders (--wal-dir),
  // and without a log (--no-wal: LMDB's own sync).
  const variants = [
    { name: ' (--no-wal)', wal: false, walDir: false },
    { name: '', wal: true, walDir: false },
    { name: ' (--wal-dir)', wal: true, walDir: true },
  ];
  for (const { name, wal, walDir } of variants) {
    it(`acknowledged writes survive SIGKILL of a leading store, and replicas converge${name}`, async () => {
      const dir = join(root, wal ? (walDir ? 'wal-dir' : 'wal') : 'plain');
      const ids = [1, 2, 3];
      const ports = new Map<number, { grpc: number; status: number }>();
      for (const id of ids) ports.set(id, { grpc: await freePort(), status: await freePort() });
      const regions = evenRegions(6, ids, 'k');
      mkdirSync(dir, { recursive: true });
      const clusterFile = join(dir, 'cluster.json');
      writeFileSync(
        clusterFile,
        JSON.stringify({
          clusterId: 9,
          stores: ids.map((id) => ({ id, address: `127.0.0.1:${ports.get(id)!.grpc}` })),
          regions: regions.map((r) => ({
            id: r.id,
            startKey: hex(r.startKey),
            endKey: hex(r.endKey),
            peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId })),
          })),
        }),
      );
      const proc = (id: number) =>
        new AtollProcess(`store-${id}`, [
          'store',
          '--store-id',
          String(id),
          '--cluster',
          clusterFile,
          '--listen',
          `127.0.0.1:${ports.get(id)!.grpc}`,
          '--status',
          `127.0.0.1:${ports.get(id)!.status}`,
          '--data-dir',
          join(dir, `store-${id}`),
          '--tick-ms',
          '20',
          '--log-level',
          'info',
          ...(wal ? [] : ['--no-wal']),
          ...(walDir ? ['--wal-dir', join(dir, 'log-disk', `store-${id}`)] : []),
        ]);
      const stores = new Map(ids.map((id) => [id, proc(id)]));
      for (const p of stores.values()) await p.start('store ready');

      const addresses = new Map(ids.map((id) => [id, `127.0.0.1:${ports.get(id)!.grpc}`]));
      const infos: RegionInfo[] = regions.map((r) => ({
        id: r.id,
        startKey: Buffer.from(r.startKey),
        endKey: Buffer.from(r.endKey),
        epoch: r.epoch,
        peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
      }));
      const client = createClient({
        locator: staticLocator(infos, addresses),
        sender: new GrpcKvSender(),
        timeoutMs: 20_000,
      });
      const status = async (id: number) =>
        (await (await fetch(`http://127.0.0.1:${ports.get(id)!.status}/status`)).json()) as {
          leaderCount: number;
        };
      await waitFor(
        async () => {
          let leaders = 0;
          for (const id of ids) leaders += (await status(id)).leaderCount;
          return leaders === regions.length;
        },
        20_000,
        'a leader for every region',
      );

      const acked = new Map<string, string>();
      let ambiguous = 0;
      let stop = false;
      let n = 0;
      const writer = async (w: number) => {
        while (!stop) {
          const key = `k${String((n++ * 7919) % 1_000_000).padStart(6, '0')}-${w}`;
          const value = `v${n}`;
          try {
            await client.put(key, value);
            acked.set(key, value);
          } catch (e) {
            if (
              isAtollError(e, 'CLIENT_ERR_AMBIGUOUS_RESULT') ||
              isAtollError(e, 'CLIENT_ERR_TIMEOUT')
            )
              ambiguous++;
            else throw e;
          }
        }
      };
      // One counter per region, each incremented by read + compare-and-swap in a loop.
      const counters = regions.map((_, i) => ({
        key: `k${String(Math.floor((i + 0.5) * (1_000_000 / regions.length))).padStart(6, '0')}-n`,
        succeeded: 0,
        uncertain: 0,
      }));
      const counter = async (c: (typeof counters)[number]) => {
        while (!stop) {
          try {
            const current = await client.get(c.key);
            const next = String(Number(current?.toString() ?? '0') + 1);
            const r = await client.compareAndSwap(c.key, current?.toString() ?? null, next);
            if (r.succeeded) c.succeeded++;
          } catch (e) {
            if (isAtollError(e, 'CLIENT_ERR_AMBIGUOUS_RESULT')) c.uncertain++;
            else if (!isAtollError(e, 'CLIENT_ERR_TIMEOUT')) throw e;
          }
        }
      };
      const writers = [
        ...Array.from({ length: 16 }, (_, w) => writer(w)),
        ...counters.map((c) => counter(c)),
      ];
      await waitFor(() => acked.size >= 200, 30_000, '200 acknowledged writes');

      // Kill the store leading the most regions, without warning.
      let victim = 1;
      let most = -1;
      for (const id of ids) {
        const c = (await status(id)).leaderCount;
        if (c > most) [victim, most] = [id, c];
      }
      await stores.get(victim)!.stop('SIGKILL');
      const atKill = acked.size;
      await waitFor(() => acked.size >= atKill + 200, 60_000, '200 more writes with a store down');
      await stores.get(victim)!.start('store ready');
      const atRestart = acked.size;
      await waitFor(
        () => acked.size >= atRestart + 100,
        60_000,
        '100 more writes after the restart',
      );
      stop = true;
      await Promise.all(writers);

      for (const [key, value] of acked)
        expect((await client.get(key))?.toString(), key).toBe(value);
      for (const c of counters) {
        const value = Number((await client.get(c.key))?.toString() ?? '0');
        expect(value, `${c.key}: ${JSON.stringify(c)}`).toBeGreaterThanOrEqual(c.succeeded);
        expect(value, `${c.key}: ${JSON.stringify(c)}`).toBeLessThanOrEqual(
          c.succeeded + c.uncertain,
        );
      }

      type Digest = { regionId: number; applied: number; digest: number; keys: number };
      const digests = async (id: number) =>
        (await (
          await fetch(`http://127.0.0.1:${ports.get(id)!.status}/debug/regions`)
        ).json()) as Digest[];
      await waitFor(
        async () => {
          const all = await Promise.all(ids.map(digests));
          return regions.every((r) => {
            const rows = all.map((d) => d.find((x) => x.regionId === r.id));
            return rows.every(
              (x) => x && x.applied === rows[0]!.applied && x.digest === rows[0]!.digest,
            );
          });
        },
        30_000,
        'replicas to converge',
      );
      const total = (await digests(1)).reduce((s, d) => s + d.keys, 0);
      expect(total).toBeGreaterThanOrEqual(acked.size);
      console.log(
        `acknowledged ${acked.size} writes, ${ambiguous} ambiguous; killed store ${victim} leading ${most} regions; counters ${counters.map((c) => `${c.succeeded}+${c.uncertain}?`).join(' ')}` +
          (wal
            ? `; at restart: ${stores.get(victim)!.lines.find((l) => l.includes('write-ahead log')) ?? 'nothing to replay'}`
            : ''),
      );
      await client.close();
      for (const p of stores.values()) await p.stop('SIGTERM');
      if (walDir) {
        // The logs were where --wal-dir put them, and only there.
        for (const id of ids) {
          const segments = readdirSync(join(dir, 'log-disk', `store-${id}`));
          expect(segments.some((f) => f.endsWith('.wal'))).toBe(true);
          expect(readdirSync(join(dir, `store-${id}`))).not.toContain('wal');
        }
      }
    }, 180_000);
  }
});
