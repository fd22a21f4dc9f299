/**
 * The placement driver's core, in process, behind the store's PdPort: region and store
 * heartbeats go straight to a PlacementDriver (in-memory metadata, the cluster's virtual
 * clock) and its commands come back to the leader's store. With a StoreCluster this runs the
 * whole scheduling loop deterministically.
 */

import { PlacementDriver, type RegionCommand } from '@atoll/pd';
import { MemoryMetaStorage } from '@atoll/pd/testing';
import type { atoll } from '@atoll/proto';
import {
  fromProtoRegion,
  PD_WORKER_DEFAULTS,
  type PdPort,
  PdWorker,
  type RegionMeta,
  toProtoRegion,
} from '@atoll/store';
import type { StoreCluster } from '@atoll/store/testing';

export class InProcessPd {
  readonly pd: PlacementDriver;
  private readonly handlers = new Map<number, (cmd: atoll.pd.IRegionHeartbeatResponse) => void>();
  private lastSchedule = 0;

  constructor(
    private readonly cluster: StoreCluster,
    config: ConstructorParameters<typeof PlacementDriver>[0]['config'] = {},
  ) {
    this.pd = new PlacementDriver({
      clusterId: 1,
      storage: new MemoryMetaStorage(),
      clock: { now: () => 1_700_000_000_000 + cluster.virtualNow() },
      config,
    });
  }

  async start(): Promise<void> {
    await this.pd.becomeLeader();
  }

  /** The PdPort a store's PdWorker talks to. */
  portFor(storeId: number): PdPort {
    return {
      storeHeartbeat: async (stats) => {
        this.pd.storeHeartbeat({
          storeId: Number(stats.storeId),
          capacity: Number(stats.capacity ?? 0),
          available: Number(stats.available ?? 0),
          regionCount: Number(stats.regionCount ?? 0),
          leaderCount: Number(stats.leaderCount ?? 0),
        });
      },
      regionHeartbeat: (req) => {
        const region = fromProtoRegion(req.region ?? {});
        void this.pd
          .regionHeartbeat({
            region,
            leader: {
              id: Number(req.leader?.id),
              storeId: Number(req.leader?.storeId),
              isLearner: false,
            },
            downPeers: (req.downPeers ?? []).map((d) => ({
              peer: {
                id: Number(d.peer?.id),
                storeId: Number(d.peer?.storeId),
                isLearner: d.peer?.role === 1,
              },
              downSeconds: Number(d.downSeconds ?? 0),
            })),
            pendingPeers: (req.pendingPeers ?? []).map((p) => ({
              id: Number(p.id),
              storeId: Number(p.storeId),
              isLearner: p.role === 1,
            })),
            approximateSize: Number(req.approximateSize ?? 0),
            approximateKeys: Number(req.approximateKeys ?? 0),
          })
          .then((cmd) => cmd && this.deliver(cmd))
          .catch(() => {});
      },
      reportSplit: async (left, right, leader) => {
        await this.pd.reportSplit(fromProtoRegion(left), fromProtoRegion(right), {
          id: Number(leader.id),
          storeId: Number(leader.storeId),
          isLearner: false,
        });
      },
      onRegionCommand: (handler) => {
        this.handlers.set(storeId, handler);
      },
    };
  }

  /** Starts a PdWorker on every live store of the cluster. */
  attachWorkers(): void {
    for (const s of this.cluster.stores.values()) {
      if (!s.up) continue;
      new PdWorker(s.store, this.portFor(s.id), {
        ...PD_WORKER_DEFAULTS,
        capacity: () => ({ capacity: 1e12, available: 9e11 }),
      }).start();
    }
  }

  async registerStore(id: number): Promise<void> {
    await this.pd.putStore({
      id,
      address: `store-${id}`,
      statusAddress: '',
      state: 'up',
      version: 'test',
    });
  }

  async bootstrap(storeId: number, region: RegionMeta): Promise<void> {
    await this.pd.bootstrap(
      { id: storeId, address: `store-${storeId}`, statusAddress: '', state: 'up', version: 'test' },
      region,
    );
  }

  /** Runs PD's periodic work when due (call every cluster tick). */
  async tick(): Promise<void> {
    const now = this.cluster.virtualNow();
    if (now - this.lastSchedule >= 1000) {
      this.lastSchedule = now;
      for (const cmd of await this.pd.schedule()) this.deliver(cmd);
    }
  }

  private deliver(cmd: RegionCommand): void {
    const c = cmd.command;
    const peer = (p: { id: number; storeId: number; isLearner: boolean }) => ({
      id: p.id,
      storeId: p.storeId,
      role: p.isLearner ? 1 : 0,
    });
    const out: atoll.pd.IRegionHeartbeatResponse = {
      regionId: cmd.regionId,
      regionEpoch: cmd.epoch,
    };
    if (c.kind === 'change-peer')
      out.changePeer = {
        kind: { 'add-voter': 0, 'add-learner': 1, remove: 2 }[c.change],
        peer: peer(c.peer),
      };
    else if (c.kind === 'transfer-leader') out.transferLeader = { peer: peer(c.peer) };
    else
      out.splitRegion = {
        splitKey: c.splitKey,
        newRegionId: c.newRegionId,
        newPeerIds: [...c.newPeerIds],
      };
    this.handlers.get(cmd.storeId)?.(out);
  }
}

export { toProtoRegion };
