/**
 * The PD group's members as the operator describes them, etcd-style:
 * `--initial-cluster 1=10.0.0.1:2379,2=10.0.0.2:2379,3=10.0.0.3:2379`. Each member serves
 * clients, stores and the other members on that one address. The member ids double as the
 * store ids and peer ids of the PD's own Raft region.
 */

import { PdError, PdErrorCode } from '../errors.js';

/** One PD member. */
export interface PdMember {
  readonly id: number;
  /** host:port where it serves the PD and StoreTransport services. */
  readonly address: string;
}

/** Most PD members: a Raft group this size still commits in one round; more only adds load. */
export const PD_MEMBERS_MAX = 7;

/** Parses "1=host:port,2=host:port"; throws PD_ERR_INVALID_CONFIG with the reason. */
export function parseInitialCluster(text: string): PdMember[] {
  const members: PdMember[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    if (!part) continue;
    const m = /^(\d+)=([^\s=]*:\d{1,5})$/.exec(part);
    if (!m) invalid(`"${part}" is not id=host:port`);
    const id = Number(m[1]);
    if (!Number.isSafeInteger(id) || id <= 0)
      invalid(`member id ${m[1]} must be a positive integer`);
    members.push({ id, address: m[2]! });
  }
  return checkMembers(members);
}

/** Checks a member list: not empty, at most PD_MEMBERS_MAX, no duplicate id or address. */
export function checkMembers(members: readonly PdMember[]): PdMember[] {
  if (members.length === 0) invalid('the initial cluster names no member');
  if (members.length > PD_MEMBERS_MAX) invalid(`at most ${PD_MEMBERS_MAX} PD members`);
  const ids = new Set<number>();
  const addresses = new Set<string>();
  for (const m of members) {
    if (ids.has(m.id)) invalid(`member ${m.id} is named twice`);
    if (addresses.has(m.address)) invalid(`address ${m.address} is named twice`);
    ids.add(m.id);
    addresses.add(m.address);
  }
  return [...members].sort((a, b) => a.id - b.id);
}

/** "1=a:1,2=b:2", members in id order. */
export function formatInitialCluster(members: readonly PdMember[]): string {
  return [...members]
    .sort((a, b) => a.id - b.id)
    .map((m) => `${m.id}=${m.address}`)
    .join(',');
}

function invalid(why: string): never {
  throw new PdError(PdErrorCode.InvalidConfig, `initial cluster: ${why}`);
}
