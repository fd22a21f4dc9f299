/** A region as the client's static locator takes it (tests that place regions by hand). */

import type { RegionInfo } from '@atoll/client';
import type { RegionMeta } from '@atoll/store';

export const regionInfo = (r: RegionMeta): RegionInfo => ({
  id: r.id,
  startKey: Buffer.from(r.startKey),
  endKey: Buffer.from(r.endKey),
  epoch: r.epoch,
  peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: p.isLearner })),
});
