/**
 * Whether a set of ranges covers another: used to refuse a region report that, accepted
 * alone, would leave keys the PD routes today without any region (a split reported half
 * by half). Pure.
 */

import { compareBytes } from '../meta/keys.js';
import type { RangeEntry } from './region-tree.js';

type Range = Pick<RangeEntry, 'startKey' | 'endKey'>;

/**
 * The first sub-range of some `removed` range that no `added` range covers, if any.
 * `added` ranges must not overlap each other. Empty end keys mean unbounded.
 */
export function firstUncovered(
  removed: readonly Range[],
  added: readonly Range[],
): Range | undefined {
  const sorted = [...added].sort((a, b) => compareBytes(a.startKey, b.startKey));
  for (const r of removed) {
    let cursor = r.startKey;
    let open = true; // cursor has not reached r's end yet
    for (const a of sorted) {
      if (!open) break;
      if (compareBytes(a.startKey, cursor) > 0) {
        // a starts after the cursor: [cursor, min(a.start, r.end)) is uncovered
        if (r.endKey.length > 0 && compareBytes(r.endKey, a.startKey) <= 0) break;
        return { startKey: cursor, endKey: a.startKey };
      }
      if (a.endKey.length === 0) {
        open = false;
      } else if (compareBytes(a.endKey, cursor) > 0) {
        cursor = a.endKey;
        if (r.endKey.length > 0 && compareBytes(cursor, r.endKey) >= 0) open = false;
      }
    }
    if (open) return { startKey: cursor, endKey: r.endKey };
  }
  return undefined;
}
