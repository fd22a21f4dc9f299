/**
 * A latency histogram with HdrHistogram's bucket layout (Gil Tene's HdrHistogram, 3
 * significant digits), written here instead of depending on hdr-histogram-js: it is ~150
 * lines, needs no WebAssembly or base64 codec to cross worker threads, and merges by adding
 * counts. Values are integers (the harness records microseconds); any recorded value is
 * reported within 0.1% (one sub-bucket), and min and max are exact.
 *
 * Layout: values below 2,048 have a bucket each; above, every power-of-two range holds 1,024
 * equal sub-buckets, so a bucket's width is at most 1/1,024 of its value.
 */

/** log2 of the sub-buckets in each half range: 1,024 sub-buckets = 3 significant digits. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = (SUB_BUCKET_HALF_COUNT << 1) - 1;
/**
 * The largest value tracked: 2^31 - 1 microseconds (35 minutes), far above any deadline the
 * harness uses; larger values are clamped (and still counted), so memory stays fixed.
 */
export const HISTOGRAM_VALUE_MAX = 2 ** 31 - 1;
/** Counts array length that covers every value up to HISTOGRAM_VALUE_MAX. */
const COUNTS_LENGTH = indexOf(HISTOGRAM_VALUE_MAX) + 1;

function indexOf(value: number): number {
  // floor(log2(value | mask)) - 10: 0 for values below 2,048.
  const bucket = 31 - Math.clz32(value | SUB_BUCKET_MASK) - SUB_BUCKET_HALF_MAGNITUDE;
  const sub = Math.floor(value / 2 ** bucket);
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT);
}

/** The lowest value of a counts index and the width of its bucket. */
function rangeOf(index: number): { lowest: number; width: number } {
  if (index < SUB_BUCKET_HALF_COUNT << 1) return { lowest: index, width: 1 };
  const bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  const sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  return { lowest: sub * 2 ** bucket, width: 2 ** bucket };
}

/** A histogram as plain data (structured-clone and JSON safe): sparse [index, count] pairs. */
export interface HistogramSnapshot {
  readonly pairs: readonly number[];
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

/** Percentiles of a histogram, in the unit recorded. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Counts of recorded values in HdrHistogram buckets; see the file header. */
export class Histogram {
  private counts = new Float64Array(COUNTS_LENGTH);
  /** Invariant: the sum of `counts`. */
  private total = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;
  private sumValue = 0;

  /** Records one value (a non-negative number; fractions are rounded). */
  record(value: number): void {
    const v = Math.min(HISTOGRAM_VALUE_MAX, Math.max(0, Math.round(value)));
    this.counts[indexOf(v)]! += 1;
    this.total += 1;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
    this.sumValue += v;
  }

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sumValue / this.total;
  }

  /**
   * The value at a percentile (0..100): the highest value equivalent to the recorded value
   * at that rank (HdrHistogram's convention), never above the exact max.
   */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    if (percentile >= 100) return this.maxValue;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const { lowest, width } = rangeOf(i);
        return Math.min(this.maxValue, Math.max(this.minValue, lowest + width - 1));
      }
    }
    return this.maxValue;
  }

  percentiles(): Percentiles {
    return {
      p50: this.valueAt(50),
      p90: this.valueAt(90),
      p99: this.valueAt(99),
      max: this.max,
      mean: this.mean,
    };
  }

  /** Adds every value of `other` into this one. */
  add(other: Histogram | HistogramSnapshot): void {
    const s = other instanceof Histogram ? other.snapshot() : other;
    for (let i = 0; i < s.pairs.length; i += 2) this.counts[s.pairs[i]!]! += s.pairs[i + 1]!;
    if (s.count === 0) return;
    this.total += s.count;
    this.sumValue += s.sum;
    if (s.min < this.minValue) this.minValue = s.min;
    if (s.max > this.maxValue) this.maxValue = s.max;
  }

  snapshot(): HistogramSnapshot {
    const pairs: number[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c !== 0) pairs.push(i, c);
    }
    return { pairs, count: this.total, min: this.min, max: this.maxValue, sum: this.sumValue };
  }

  static fromSnapshot(s: HistogramSnapshot): Histogram {
    const h = new Histogram();
    h.add(s);
    return h;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
    this.sumValue = 0;
  }
}
