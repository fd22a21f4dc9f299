/**
 * The cluster id: chosen once, when the PD cluster is first created, then the same forever.
 *
 * Decision: like etcd's cluster id, it is derived from what every member is started with, a
 * hash of the cluster token and the initial member list, so all members agree without
 * talking to each other (the id must be known before the PD's own Raft group can run: its
 * transport checks it on every message). A member records it in its data folder on first
 * start and uses the recorded id from then on, so a later change of addresses in
 * --initial-cluster never changes the id. Two clusters started with the same member list
 * on the same addresses need different tokens (--initial-cluster-token) to get different ids.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PdError, PdErrorCode } from '../errors.js';
import { formatInitialCluster, type PdMember } from './initial-cluster.js';

/** The default token, for clusters that do not name one. */
export const DEFAULT_CLUSTER_TOKEN = 'atoll-pd';

/** The file in a member's data folder that holds the cluster id. */
export const CLUSTER_ID_FILE = 'CLUSTER_ID';

/** Ids are 53-bit: they travel as uint64 but the code keeps them in safe JS integers. */
const ID_MASK = (1n << 53n) - 1n;

/** The id every member derives from the same token and initial members. Never 0. */
export function deriveClusterId(token: string, members: readonly PdMember[]): number {
  const digest = createHash('sha256')
    .update(`${token}\n${formatInitialCluster(members)}`)
    .digest();
  const id = Number(digest.readBigUInt64BE(0) & ID_MASK);
  return id === 0 ? 1 : id;
}

/**
 * The recorded cluster id of the member whose data folder is `dataDir`, recording `derived`
 * there first if the folder has none.
 */
export function loadOrRecordClusterId(dataDir: string, derived: number): number {
  const path = join(dataDir, CLUSTER_ID_FILE);
  if (existsSync(path)) {
    const id = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new PdError(PdErrorCode.InvalidConfig, `${path} is damaged: not a cluster id`);
    }
    return id;
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${path}.tmp`, `${derived}\n`);
  renameSync(`${path}.tmp`, path);
  return derived;
}
