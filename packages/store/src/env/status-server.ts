/**
 * A store's HTTP status port: Prometheus metrics at /metrics, a JSON status page at
 * /status, /health for liveness probes, and debugging pages: /debug/regions (data digests per
 * region) and /debug/raft (each region's Raft state). Read-only; binds where it is told.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '@atoll/storage';
import type { Store } from '../store.js';

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}

export function storeStatus(store: Store): Record<string, unknown> {
  const regions = store.describe();
  return {
    storeId: store.storeId,
    clusterId: store.config.clusterId,
    state: store.failed ? 'failed' : store.stopped ? 'stopped' : 'up',
    ...(store.failed ? { error: store.failed.message } : {}),
    tick: store.tick,
    regionCount: regions.length,
    leaderCount: regions.filter((r) => r.role === 'leader').length,
    quiescentCount: regions.filter((r) => r.quiescent).length,
    downStores: [...store.downStores],
    wakeCauses: Object.fromEntries(store.wakeCauses),
    regions,
  };
}

/**
 * Per region: applied index and a CRC-32C of its raw data, so replicas can be compared
 * (tests check that stores converge). Reads the whole region: a debugging aid, not a probe.
 */
export function regionDigests(
  store: Store,
): { regionId: number; applied: number; keys: number; digest: number }[] {
  return [...store.peers.values()].map((p) => {
    const pairs = store.storage.scan({
      start: p.region.startKey,
      end: p.region.endKey,
      limit: Number.MAX_SAFE_INTEGER,
      reverse: false,
      keyOnly: false,
    });
    let digest = 0;
    for (const kv of pairs) digest = crc32c(kv.value, crc32c(kv.key, digest));
    return { regionId: p.region.id, applied: p.appliedIndex, keys: pairs.length, digest };
  });
}

/** Each region's Raft state as its peer here sees it: to tell why a region has no leader. */
export function raftStates(store: Store): Record<string, unknown>[] {
  return [...store.peers.values()].map((p) => {
    const st = p.node.status();
    return {
      regionId: p.region.id,
      peerId: p.peerId,
      epoch: p.region.epoch,
      peers: p.region.peers.map((m) => `${m.id}@${m.storeId}${m.isLearner ? 'L' : ''}`),
      role: st.softState.role,
      leader: st.softState.leaderId,
      term: st.hardState.term,
      vote: st.hardState.vote,
      commit: st.hardState.commit,
      applied: st.applied,
      lastIndex: st.lastIndex,
      confState: st.confState,
      ...(st.progress
        ? {
            progress: Object.fromEntries(
              [...st.progress].map(([id, pr]) => [
                id,
                {
                  match: pr.matchIndex,
                  next: pr.nextIndex,
                  state: pr.state,
                  active: pr.recentActive,
                },
              ]),
            ),
          }
        : {}),
    };
  });
}

export async function startStatusServer(
  store: Store,
  host: string,
  port: number,
): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      store.metrics.registry.metrics().then(
        (text) =>
          res.writeHead(200, { 'content-type': store.metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(`metrics failed: ${String(e)}\n`),
      );
    } else if (path === '/status') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(storeStatus(store), null, 2)}\n`);
    } else if (path === '/debug/regions') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(regionDigests(store))}\n`);
    } else if (path === '/debug/raft') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(raftStates(store), null, 1)}\n`);
    } else if (path === '/health') {
      const ok = !store.failed && !store.stopped;
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'down\n');
    } else {
      res.writeHead(404).end('try /metrics, /status, /health, /debug/regions or /debug/raft\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
