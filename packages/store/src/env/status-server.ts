/**
 * A store's HTTP status port: Prometheus metrics at /metrics, a JSON status page at
 * /status, and /health for liveness probes. Read-only; binds where it is told.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    regions,
  };
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
    } else if (path === '/health') {
      const ok = !store.failed && !store.stopped;
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'down\n');
    } else {
      res.writeHead(404).end('try /metrics, /status or /health\n');
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
