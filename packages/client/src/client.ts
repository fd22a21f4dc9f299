/**
 * The Atoll client. connect() (connect.ts) builds one over gRPC from placement-driver
 * addresses; createClient() builds one over any ports (tests, embedding).
 */

import { AtollError, ClientErrorCode } from './errors.js';
import type { ClientEnv, KvSender, RegionLocator } from './ports.js';
import { RawClient } from './raw-client.js';
import { RegionCache } from './region-cache.js';

/** Default deadline per operation, retries included. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ClientPorts {
  readonly locator: RegionLocator;
  readonly sender: KvSender;
  readonly env?: ClientEnv;
  readonly timeoutMs?: number;
}

export const realEnv: ClientEnv = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A client: every RawClient method (get, batchGet, put, batchPut, delete, deleteRange, scan,
 * scanIterator, compareAndSwap) plus close().
 */
export class AtollClient extends RawClient {
  constructor(private readonly ports: ClientPorts) {
    const state = { closed: false };
    super(
      {
        cache: new RegionCache(),
        locator: ports.locator,
        sender: ports.sender,
        env: ports.env ?? realEnv,
      },
      ports.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => state.closed,
    );
    this.state = state;
  }

  private readonly state: { closed: boolean };

  /** Closes connections; later calls fail with CLIENT_ERR_CLOSED. */
  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    await Promise.all([this.ports.sender.close(), this.ports.locator.close()]);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.state.closed;
  }
}

export function createClient(ports: ClientPorts): AtollClient {
  return new AtollClient(ports);
}

export function closedError(): AtollError {
  return new AtollError(ClientErrorCode.Closed, 'the client is closed');
}
