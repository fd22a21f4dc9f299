/**
 * The wiring's pure parts: the initial cluster string, the derived and recorded cluster id,
 * the lease length, and wire conversions (errors with byte details, commands, timestamps).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atoll } from '@atoll/proto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_ID_FILE,
  deriveClusterId,
  loadOrRecordClusterId,
} from '../../src/env/cluster-id.js';
import { formatInitialCluster, parseInitialCluster } from '../../src/env/initial-cluster.js';
import { CLOCK_RATE_BOUND, leaseMs } from '../../src/env/pd-leadership.js';
import {
  commandToProto,
  errorToProto,
  heartbeatFromProto,
  regionFromProto,
  regionToProto,
  timestampFromProto,
} from '../../src/env/pd-wire.js';
import { PdError, PdErrorCode } from '../../src/errors.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as PdError).code;
  }
  return undefined;
};

describe('initial cluster', () => {
  it('parses id=host:port lists, in id order', () => {
    const m = parseInitialCluster('3=10.0.0.3:2379, 1=10.0.0.1:2379,2=:2379');
    expect(m).toEqual([
      { id: 1, address: '10.0.0.1:2379' },
      { id: 2, address: ':2379' },
      { id: 3, address: '10.0.0.3:2379' },
    ]);
    expect(formatInitialCluster(m)).toBe('1=10.0.0.1:2379,2=:2379,3=10.0.0.3:2379');
  });

  it('refuses malformed lists with PD_ERR_INVALID_CONFIG', () => {
    for (const bad of ['', '1=a', 'x=a:1', '0=a:1', '1=a:1,1=b:2', '1=a:1,2=a:1', '1=a:1=2']) {
      expect(
        code(() => parseInitialCluster(bad)),
        bad,
      ).toBe(PdErrorCode.InvalidConfig);
    }
    const eight = Array.from({ length: 8 }, (_, i) => `${i + 1}=h:${i + 1}`).join(',');
    expect(code(() => parseInitialCluster(eight))).toBe(PdErrorCode.InvalidConfig);
  });
});

describe('cluster id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pd-cid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const members = parseInitialCluster('1=a:1,2=b:2,3=c:3');

  it('is the same for every member, differs by token and members, and is a safe integer', () => {
    const id = deriveClusterId('t', members);
    expect(deriveClusterId('t', [...members].reverse())).toBe(id);
    expect(deriveClusterId('u', members)).not.toBe(id);
    expect(deriveClusterId('t', members.slice(0, 2))).not.toBe(id);
    expect(Number.isSafeInteger(id) && id > 0).toBe(true);
  });

  it('is recorded on first start and kept afterwards, whatever is derived later', () => {
    const memberDir = join(dir, 'm1');
    expect(loadOrRecordClusterId(memberDir, 42)).toBe(42);
    expect(readFileSync(join(memberDir, CLUSTER_ID_FILE), 'utf8').trim()).toBe('42');
    expect(loadOrRecordClusterId(memberDir, 43)).toBe(42);
    writeFileSync(join(memberDir, CLUSTER_ID_FILE), 'garbage');
    expect(code(() => loadOrRecordClusterId(memberDir, 43))).toBe(PdErrorCode.InvalidConfig);
  });
});

describe('lease', () => {
  it('is (electionTicks - 1) ticks, shortened for clock rates', () => {
    expect(leaseMs(10, 50)).toBeCloseTo((9 * 50) / (1 + CLOCK_RATE_BOUND));
    expect(leaseMs(10, 50)).toBeLessThan(10 * 50);
  });
});

describe('wire conversions', () => {
  const region = {
    id: 7,
    startKey: new Uint8Array([0x61]),
    endKey: new Uint8Array(),
    epoch: { confVer: 2, version: 3 },
    peers: [
      { id: 8, storeId: 1, isLearner: false },
      { id: 9, storeId: 2, isLearner: true },
    ],
  };

  it('round-trips regions and peer roles', () => {
    const wire = atoll.meta.Region.decode(atoll.meta.Region.encode(regionToProto(region)).finish());
    const back = regionFromProto(wire);
    expect({ ...back, startKey: [...back.startKey], endKey: [...back.endKey] }).toEqual({
      ...region,
      startKey: [0x61],
      endKey: [],
    });
  });

  it('sends error details as JSON with keys in hex', () => {
    const e = new PdError(PdErrorCode.StaleEpoch, 'stale', false, { currentRegions: [region] });
    const wire = errorToProto(e);
    expect(wire.code).toBe('PD_ERR_STALE_EPOCH');
    const details = JSON.parse(wire.detailsJson!);
    expect(details.currentRegions[0].startKey).toBe('61');
    expect(errorToProto(new PdError(PdErrorCode.NotLeader, 'x', true)).detailsJson).toBe('');
  });

  it('maps commands to the heartbeat response', () => {
    const add = commandToProto(
      {
        regionId: 7,
        epoch: region.epoch,
        storeId: 1,
        operatorId: 1,
        command: { kind: 'change-peer', change: 'add-learner', peer: region.peers[1]! },
      },
      99,
    );
    expect(add.changePeer?.kind).toBe(atoll.pd.ChangePeerKind.ADD_LEARNER);
    expect(add.changePeer?.peer?.role).toBe(atoll.meta.PeerRole.LEARNER);
    expect(add.header?.clusterId).toBe(99);
    const split = commandToProto(
      {
        regionId: 7,
        epoch: region.epoch,
        storeId: 1,
        operatorId: 2,
        command: {
          kind: 'split-region',
          splitKey: new Uint8Array([1]),
          newRegionId: 10,
          newPeerIds: [11, 12],
        },
      },
      99,
    );
    expect(split.splitRegion?.newPeerIds).toEqual([11, 12]);
  });

  it('refuses heartbeats without a leader and out-of-range timestamps', () => {
    expect(code(() => heartbeatFromProto({ region: regionToProto(region) }))).toBe(
      PdErrorCode.InvalidArgument,
    );
    expect(code(() => timestampFromProto({ physical: 1, logical: 1 << 18 }))).toBe(
      PdErrorCode.InvalidArgument,
    );
    expect(code(() => timestampFromProto({ physical: 2 ** 47, logical: 0 }))).toBe(
      PdErrorCode.InvalidArgument,
    );
    expect(timestampFromProto({ physical: 5, logical: 6 })).toEqual({ physical: 5, logical: 6 });
  });
});
