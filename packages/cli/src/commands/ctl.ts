/** `atoll ctl ...`: the cluster as tables (or JSON), and admin actions on regions. */

import type { PdClient } from '@atoll/pd-client';
import type { atoll } from '@atoll/proto';
import { type Command, Option } from 'commander';
import { adminCall, checkAdmin, DEFAULT_PD, pdClient } from '../cluster-connection.js';
import { decodeArg, ENCODINGS, type Encoding } from '../encoding.js';
import { addressList, positiveInt } from '../options.js';
import { formatTable, showKey } from '../table.js';

interface CtlFlags {
  pd: string[];
  json?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option('--pd <addresses>', 'placement driver address(es), comma-separated', addressList, [
      DEFAULT_PD,
    ])
    .option('--json', 'print JSON instead of a table');
}

async function withPd<T>(flags: CtlFlags, fn: (pd: PdClient) => Promise<T>): Promise<T> {
  const pd = await pdClient(flags);
  try {
    return await fn(pd);
  } finally {
    await pd.close();
  }
}

function regionRow(
  r: atoll.meta.IRegion,
  leader: atoll.meta.IPeer | null | undefined,
): Record<string, string | number> {
  const peers = (r.peers ?? []).map(
    (p) => `${p.storeId}${p.role === 1 ? 'L' : ''}${p.id === leader?.id ? '*' : ''}`,
  );
  return {
    id: Number(r.id),
    start: showKey(r.startKey, '-inf'),
    end: showKey(r.endKey, '+inf'),
    epoch: `${r.epoch?.confVer ?? 0}/${r.epoch?.version ?? 0}`,
    stores: peers.join(','),
    leader: leader ? Number(leader.storeId) : '?',
  };
}

function print(flags: CtlFlags, json: unknown, rows: Record<string, string | number>[]): void {
  console.log(
    flags.json
      ? JSON.stringify(
          json,
          (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v),
          2,
        )
      : formatTable(rows),
  );
}

async function storeRows(pd: PdClient) {
  const { stores, stats, health } = await pd.getAllStores(false);
  return stores.map((s) => {
    const st = stats.find((x) => Number(x.storeId) === Number(s.id));
    return {
      id: Number(s.id),
      address: s.address ?? '',
      // PD's judgement (a silent store is disconnected, then down), else its registration.
      state:
        health.get(Number(s.id)) ?? ['up', 'offline', 'tombstone'][s.state ?? 0] ?? String(s.state),
      regions: st ? Number(st.regionCount ?? 0) : '?',
      leaders: st ? Number(st.leaderCount ?? 0) : '?',
      'available GiB': st ? (Number(st.available ?? 0) / 2 ** 30).toFixed(1) : '?',
    };
  });
}

async function leaderAddress(
  pd: PdClient,
  leader: atoll.meta.IPeer | null | undefined,
  regionId: number,
): Promise<string> {
  if (!leader?.storeId) throw new Error(`region ${regionId} has no known leader yet; try again`);
  const { store } = await pd.getStore(Number(leader.storeId));
  return store.address ?? '';
}

export function registerCtl(program: Command): void {
  const ctl = program.command('ctl').description('inspect and administer the cluster');

  common(ctl.command('stores').description('list stores with their regions and leaders')).action(
    async (f: CtlFlags) => {
      await withPd(f, async (pd) => {
        const rows = await storeRows(pd);
        print(f, rows, rows);
      });
    },
  );

  common(
    ctl
      .command('regions')
      .description('list regions: range, epoch, stores (L = learner, * = leader)'),
  )
    .option('--limit <n>', 'at most this many regions', positiveInt, 1000)
    .action(async (f: CtlFlags & { limit: number }) => {
      await withPd(f, async (pd) => {
        const list = await pd.scanRegions(new Uint8Array(), new Uint8Array(), f.limit);
        print(
          f,
          list,
          list.map((x) => regionRow(x.region, x.leader)),
        );
      });
    });

  common(ctl.command('region <key>').description('show the region holding a key'))
    .addOption(
      new Option('--key-encoding <enc>', 'key encoding').choices(ENCODINGS).default('utf8'),
    )
    .action(async (key: string, f: CtlFlags & { keyEncoding: Encoding }) => {
      await withPd(f, async (pd) => {
        const x = await pd.getRegion(decodeArg(key, f.keyEncoding, 'key'));
        print(f, x, [regionRow(x.region, x.leader)]);
      });
    });

  common(ctl.command('split <key>').description('split the region holding <key> at <key>'))
    .addOption(
      new Option('--key-encoding <enc>', 'key encoding').choices(ENCODINGS).default('utf8'),
    )
    .action(async (key: string, f: CtlFlags & { keyEncoding: Encoding }) => {
      await withPd(f, async (pd) => {
        const splitKey = decodeArg(key, f.keyEncoding, 'key');
        const { region, leader } = await pd.getRegion(splitKey);
        const ids = await pd.askSplit(region);
        const r = await adminCall<atoll.admin.ISplitRegionRequest, atoll.admin.AdminResponse>(
          await leaderAddress(pd, leader, Number(region.id)),
          'splitRegion',
          {
            regionId: region.id,
            epoch: region.epoch,
            splitKey,
            newRegionId: ids.newRegionId,
            newPeerIds: ids.newPeerIds,
          },
        );
        checkAdmin(r);
        console.log(
          f.json
            ? JSON.stringify({ ok: true, newRegionId: ids.newRegionId })
            : `split region ${region.id}: new region ${ids.newRegionId}`,
        );
      });
    });

  common(
    ctl
      .command('transfer-leader <region-id> <store-id>')
      .description("move a region's leadership to its replica on a store"),
  ).action(async (regionId: string, storeId: string, f: CtlFlags) => {
    await withPd(f, async (pd) => {
      const found = await pd.getRegionById(Number(regionId));
      if (!found) throw new Error(`region ${regionId} does not exist`);
      const target = (found.region.peers ?? []).find((p) => Number(p.storeId) === Number(storeId));
      if (!target) throw new Error(`region ${regionId} has no replica on store ${storeId}`);
      const r = await adminCall<atoll.admin.ITransferLeaderRequest, atoll.admin.AdminResponse>(
        await leaderAddress(pd, found.leader, Number(regionId)),
        'transferLeader',
        { regionId: found.region.id, epoch: found.region.epoch, toPeerId: target.id },
      );
      checkAdmin(r);
      console.log(
        f.json
          ? JSON.stringify({ ok: true })
          : `asked region ${regionId} to move its leader to store ${storeId}`,
      );
    });
  });

  common(
    ctl
      .command('scatter')
      .description(
        "spread leaders: move each region's leader to its voter on the store leading fewest",
      ),
  ).action(async (f: CtlFlags) => {
    await withPd(f, async (pd) => {
      const regions = await pd.scanRegions(new Uint8Array(), new Uint8Array(), 100_000);
      const leading = new Map<number, number>();
      for (const x of regions)
        if (x.leader)
          leading.set(Number(x.leader.storeId), (leading.get(Number(x.leader.storeId)) ?? 0) + 1);
      let moved = 0;
      for (const x of regions) {
        const voters = (x.region.peers ?? []).filter((p) => p.role !== 1);
        const best = voters.sort(
          (a, b) => (leading.get(Number(a.storeId)) ?? 0) - (leading.get(Number(b.storeId)) ?? 0),
        )[0];
        const from = Number(x.leader?.storeId ?? 0);
        if (!best || !x.leader || Number(best.storeId) === from) continue;
        if ((leading.get(Number(best.storeId)) ?? 0) + 1 >= (leading.get(from) ?? 0)) continue;
        const r = await adminCall<atoll.admin.ITransferLeaderRequest, atoll.admin.AdminResponse>(
          await leaderAddress(pd, x.leader, Number(x.region.id)),
          'transferLeader',
          { regionId: x.region.id, epoch: x.region.epoch, toPeerId: best.id },
        );
        if (!r.regionError && !r.error) {
          moved++;
          leading.set(from, (leading.get(from) ?? 1) - 1);
          leading.set(Number(best.storeId), (leading.get(Number(best.storeId)) ?? 0) + 1);
        }
      }
      console.log(
        f.json ? JSON.stringify({ moved }) : `asked ${moved} region(s) to move their leader`,
      );
    });
  });

  common(
    ctl
      .command('status')
      .description('cluster summary: PD leader, stores, regions, replica repair'),
  ).action(async (f: CtlFlags) => {
    await withPd(f, async (pd) => {
      const stores = await storeRows(pd);
      const regions = await pd.scanRegions(new Uint8Array(), new Uint8Array(), 100_000);
      const up = new Set(stores.filter((s) => s.state === 'up').map((s) => s.id));
      const repairing = regions.filter((x) => {
        const peers = x.region.peers ?? [];
        const voters = peers.filter((p) => p.role !== 1);
        return (
          voters.length < 3 ||
          peers.some((p) => p.role === 1) ||
          peers.some((p) => !up.has(Number(p.storeId)))
        );
      });
      const summary = {
        clusterId: pd.clusterId,
        pdLeader: pd.leaderAddress(),
        stores: stores.length,
        regions: regions.length,
        regionsWithoutLeader: regions.filter((x) => !x.leader).length,
        regionsBeingRepaired: repairing.length,
      };
      if (f.json) {
        console.log(JSON.stringify({ ...summary, storeList: stores }, null, 2));
        return;
      }
      for (const [k, v] of Object.entries(summary)) console.log(`${k.padEnd(22)} ${v}`);
      console.log('');
      console.log(formatTable(stores));
    });
  });
}
