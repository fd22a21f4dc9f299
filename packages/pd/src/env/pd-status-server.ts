/**
 * A PD member's HTTP status port: Prometheus metrics at /metrics, a JSON status page at
 * /status (who leads, the Raft state of the PD region, counts of stores, regions and
 * operators) and /health. Read-only; binds where it is told.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PdMetrics } from './pd-metrics.js';

/** A running status server. */
export interface PdStatusServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `status()` as JSON and `metrics` for Prometheus on host:port (0: any free port). */
export async function startPdStatusServer(
  host: string,
  port: number,
  status: () => Record<string, unknown>,
  metrics: PdMetrics,
): Promise<PdStatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(`metrics failed: ${String(e)}\n`),
      );
    } else if (path === '/status') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(status(), null, 2)}\n`);
    } else if (path === '/health') {
      res.writeHead(200).end('ok\n');
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
