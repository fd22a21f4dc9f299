/**
 * Reads a V8 CPU profile (node --cpu-prof, a .cpuprofile file) and says where the time went:
 * self time by area (Raft core, storage, store, gRPC, protobuf, LMDB, GC, ...) and the
 * functions with the most self time. Shares are of the busy time (idle excluded), so two
 * rows at different loads compare.
 */

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Functions listed per profile: enough to see the hot path, short enough to read. */
export const TOP_FUNCTIONS = 12;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

/** The parts of a .cpuprofile (V8's format) the summary reads. */
export interface CpuProfile {
  /** Microseconds on the profiled process's monotonic clock. */
  readonly startTime: number;
  readonly endTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * The part of a profile to summarize, in epoch milliseconds, and when the process exited
 * (where the profile ends): a profile's clock is the process's own, so the exit aligns them.
 */
export interface ProfileWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly exitedAtMs: number;
}

/** Where a process spent its time. */
export interface ProfileSummary {
  readonly file: string;
  /** Sampled time in milliseconds (the window, else the whole process lifetime). */
  readonly sampledMs: number;
  /** Whether only the row's measured window was summarized (else the whole lifetime). */
  readonly windowed: boolean;
  /** Share of sampled time the process was idle (waiting for I/O or timers). */
  readonly idlePercent: number;
  /** Self time by area, % of busy time, largest first. */
  readonly areas: readonly { readonly area: string; readonly percent: number }[];
  /** Functions with the most self time, % of busy time. */
  readonly top: readonly {
    readonly fn: string;
    readonly where: string;
    readonly percent: number;
  }[];
}

/** Area of a frame, by where its code lives. */
export function areaOf(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'native (V8/libuv, not JS)';
  if (functionName === '(root)') return 'native (V8/libuv, not JS)';
  const rules: [RegExp, string][] = [
    [/\/packages\/raft\//, 'atoll raft'],
    [/\/packages\/storage\//, 'atoll storage'],
    [/\/packages\/store\//, 'atoll store'],
    [/\/packages\/proto\//, 'protobuf (generated code)'],
    [/\/packages\/(client|cli|pd)\//, 'atoll other'],
    [/protobufjs|@protobufjs/, 'protobuf (protobufjs)'],
    [/@grpc\/grpc-js/, 'gRPC (grpc-js)'],
    [/\/lmdb|msgpackr/, 'LMDB (lmdb-js)'],
    [/pino|sonic-boom|thread-stream/, 'logging (pino)'],
    [/prom-client/, 'metrics (prom-client)'],
    [
      /^node:(internal\/)?(net|stream|http2|tls|dns)|^node:internal\/(stream|http2|net)/,
      'node net/streams',
    ],
    [/^node:/, 'node internals'],
  ];
  for (const [re, area] of rules) if (re.test(url)) return area;
  return url === '' ? 'native (V8/libuv, not JS)' : 'other';
}

function shortWhere(url: string, line: number): string {
  if (url === '') return '';
  const m = /(packages\/[^/]+\/.*|node_modules\/.*\/node_modules\/(.*)|node_modules\/(.*))$/.exec(
    url,
  );
  const path = m ? (m[2] ?? m[3] ?? m[1]!) : url.replace(/^file:\/\//, '');
  return `${path}:${line + 1}`;
}

/** Summarizes a profile, over `window` only when given. */
export function summarizeProfile(
  profile: CpuProfile,
  file: string,
  window?: ProfileWindow,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const toProfileTime = (epochMs: number) =>
    profile.endTime - (window!.exitedAtMs - epochMs) * 1000;
  const from = window ? toProfileTime(window.fromMs) : Number.NEGATIVE_INFINITY;
  const to = window ? toProfileTime(window.toMs) : Number.POSITIVE_INFINITY;
  let total = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at >= to) continue;
    // timeDeltas[i] is the time since the previous sample: it belongs to sample i - 1.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  }
  const areas = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const area = areaOf(frame.functionName, frame.url);
    if (area === 'idle') {
      idle += us;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = frame.functionName || '(anonymous)';
    const where = shortWhere(frame.url, frame.lineNumber);
    const key = `${fn} ${where}`;
    const entry = fns.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
  }
  const busy = Math.max(1, total - idle);
  const pct = (us: number) => (us / busy) * 100;
  return {
    file: basename(file),
    sampledMs: total / 1000,
    windowed: window !== undefined,
    idlePercent: total > 0 ? (idle / total) * 100 : 0,
    areas: [...areas]
      .map(([area, us]) => ({ area, percent: pct(us) }))
      .sort((a, b) => b.percent - a.percent),
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, TOP_FUNCTIONS)
      .map((f) => ({ fn: f.fn, where: f.where, percent: pct(f.us) })),
  };
}

/** Reads and summarizes a .cpuprofile file. */
export function summarizeProfileFile(path: string, window?: ProfileWindow): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, path, window);
}
