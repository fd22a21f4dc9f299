/**
 * A cursor that walks the regions in key order, a bounded number per pass, wrapping around
 * at the end, so that checking every region costs a fixed slice of each pass however many
 * regions there are. Regions added or removed between passes shift the walk a little; every
 * region is still visited within about one round.
 */

import type { ClusterMeta } from '../cluster/cluster-meta.js';
import type { RegionInfo } from '../cluster/region-info.js';

/** A wrapping cursor over the regions in key order. */
export class Patrol {
  private position = 0;

  /**
   * Visits up to `count` regions from the cursor on. `visit` returns false to stop early
   * (a limit was reached); the region it stopped at is visited first next time.
   */
  walk(meta: ClusterMeta, count: number, visit: (region: RegionInfo) => boolean): void {
    const n = Math.min(count, meta.regionCount);
    for (let i = 0; i < n; i++) {
      if (this.position >= meta.regionCount) this.position = 0;
      if (!visit(meta.regionAt(this.position)!)) return;
      this.position++;
    }
  }
}
