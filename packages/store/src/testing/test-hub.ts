/**
 * A minimal in-process transport hub for store tests: delivers batches between stores as
 * microtasks, in order per pair, with link filters for partitions.
 */

import type { RaftEnvelope, RaftTransport, TransportHandlers } from '../env/transport.js';

export class TestHub {
  private readonly handlers = new Map<number, TransportHandlers>();
  private readonly cut = new Set<string>();

  register(storeId: number, handlers: TransportHandlers): void {
    this.handlers.set(storeId, handlers);
  }

  unregister(storeId: number): void {
    this.handlers.delete(storeId);
  }

  /** Cuts (or with `false` heals) both directions between two stores. */
  setLink(a: number, b: number, up: boolean): void {
    for (const k of [`${a}>${b}`, `${b}>${a}`]) {
      if (up) this.cut.delete(k);
      else this.cut.add(k);
    }
  }

  isolate(storeId: number, others: number[]): void {
    for (const o of others) if (o !== storeId) this.setLink(storeId, o, false);
  }

  heal(): void {
    this.cut.clear();
  }

  private deliverable(from: number, to: number): TransportHandlers | undefined {
    if (this.cut.has(`${from}>${to}`)) return undefined;
    return this.handlers.get(to);
  }

  transport(storeId: number): RaftTransport {
    const queues = new Map<number, RaftEnvelope[]>();
    const beats = new Set<number>();
    return {
      send: (to, envelopes) => {
        const q = queues.get(to);
        if (q) q.push(...envelopes);
        else queues.set(to, [...envelopes]);
        return true;
      },
      sendHeartbeat: (to) => {
        beats.add(to);
      },
      flush: () => {
        for (const [to, envelopes] of queues) {
          queueMicrotask(() => this.deliverable(storeId, to)?.onEnvelopes(storeId, envelopes));
        }
        queues.clear();
        for (const to of beats)
          queueMicrotask(() => this.deliverable(storeId, to)?.onStoreHeartbeat(storeId));
        beats.clear();
      },
      sendSnapshot: async (to, envelope, chunks) => {
        const h = this.deliverable(storeId, to);
        if (!h) throw new Error(`store ${to} unreachable`);
        await h.onSnapshot(storeId, envelope, chunks);
      },
      close: async () => {},
    };
  }
}
