/**
 * What the client needs from the cluster: where regions are (the placement driver) and a
 * way to send a request to a store. connect() wires real gRPC implementations; tests plug in
 * in-process ones.
 */

import type { atoll } from '@atoll/proto';

export interface RegionPeerInfo {
  readonly id: number;
  readonly storeId: number;
  readonly learner: boolean;
}

/** A region as the client routes to it. Keys: [startKey, endKey), empty end = unbounded. */
export interface RegionInfo {
  readonly id: number;
  readonly startKey: Buffer;
  readonly endKey: Buffer;
  readonly epoch: { readonly confVer: number; readonly version: number };
  readonly peers: readonly RegionPeerInfo[];
  /** The store believed to lead it, if known. */
  readonly leaderStoreId?: number;
}

export interface RegionLocator {
  /** The region containing `key`. */
  regionByKey(key: Buffer): Promise<RegionInfo>;
  /** The region containing the greatest key below `key` (empty: the last region). */
  regionBefore(key: Buffer): Promise<RegionInfo>;
  storeAddress(storeId: number): Promise<string>;
  /** The store did not answer at its address: the next storeAddress asks again (it may have moved). */
  forgetStoreAddress(storeId: number): void;
  close(): Promise<void>;
}

export type KvRequest = atoll.kv.IKvRequest;
export type KvResponse = atoll.kv.IKvResponse;

/** How a send failed, when it did. */
export enum SendFailure {
  /** Never reached the store: safe to retry anything. */
  NotSent = 'not-sent',
  /** Sent, then the connection broke: the outcome is unknown. */
  Unknown = 'unknown',
}

export class SendError extends Error {
  constructor(
    readonly failure: SendFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface KvSender {
  /** Sends one request to the store at `address`. Throws SendError on transport failure. */
  send(address: string, request: KvRequest, deadlineMs: number): Promise<KvResponse>;
  close(): Promise<void>;
}

/** Injected randomness (jitter) and clock, so that tests replay exactly. */
export interface ClientEnv {
  now(): number;
  random(): number;
  sleep(ms: number): Promise<void>;
}
