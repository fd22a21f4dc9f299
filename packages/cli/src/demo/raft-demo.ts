/**
 * The seed demo: a 5-peer Raft group in one process that elects a leader, replicates,
 * loses its leader, re-elects and lets the old leader catch up, printing each step.
 * Deterministic for a given seed. Later the `atoll dev` cluster replaces it as `npm start`.
 */

import { Role } from '@atoll/raft';
import { TestCluster } from '@atoll/raft/testing';

export interface DemoOptions {
  seed: number;
  peers: number;
  print: (line: string) => void;
}

/** Ticks until `done` holds; returns the tick count, or throws after `maxTicks`. */
function runUntil(
  c: TestCluster,
  live: () => number[],
  done: () => boolean,
  maxTicks: number,
): number {
  for (let t = 1; t <= maxTicks; t++) {
    for (const id of live()) c.node(id).tick();
    c.stabilize();
    if (done()) return t;
  }
  throw new Error(`the demo made no progress in ${maxTicks} ticks`);
}

export function runRaftDemo({ seed, peers, print }: DemoOptions): void {
  const ids = Array.from({ length: peers }, (_, i) => i + 1);
  const c = new TestCluster({ voters: ids, seed });
  const down = new Set<number>();
  const live = () => ids.filter((id) => !down.has(id));
  const leader = () => live().find((id) => c.node(id).raft.role === Role.Leader);
  let clock = 0;
  const say = (s: string) => print(`[tick ${String(clock).padStart(3)}] ${s}`);

  print(`Atoll Raft demo: ${peers} peers in one process, seed ${seed} (same seed, same run).`);
  print('Election timeouts are randomised per peer in [10, 20) ticks; heartbeats every tick.');
  say(`all ${peers} peers start as followers in term 0 with no leader`);

  clock += runUntil(c, live, () => leader() !== undefined, 200);
  const first = leader()!;
  say(
    `peer ${first} timed out first, won a pre-vote and then the election: leader of term ${c.node(first).raft.term}`,
  );

  for (const v of ['x=1', 'y=2', 'z=3']) {
    c.propose(first, v);
    c.stabilize();
    const idx = c.committed(first);
    const have = live().filter((id) => c.appliedData(id).includes(v)).length;
    say(
      `proposed "${v}" at peer ${first}: committed at index ${idx}, applied on ${have}/${live().length} peers`,
    );
  }

  down.add(first);
  c.isolate(first);
  say(`peer ${first} (the leader) crashes`);
  clock += runUntil(c, live, () => leader() !== undefined, 200);
  const second = leader()!;
  say(`peer ${second} noticed the silence, and became leader of term ${c.node(second).raft.term}`);

  c.propose(second, 'w=4');
  c.stabilize();
  say(
    `proposed "w=4" at peer ${second}: applied on ${live().filter((id) => c.appliedData(id).includes('w=4')).length}/${live().length} live peers`,
  );

  down.delete(first);
  c.clearFilters();
  c.restart(first);
  say(
    `peer ${first} restarts from its durable log (term ${c.node(first).raft.term}) and rejoins as a follower`,
  );
  clock += runUntil(
    c,
    live,
    () => c.appliedData(first).length === c.appliedData(second).length,
    200,
  );
  say(`peer ${first} caught up: it applied ${c.appliedData(first).join(', ')}`);

  const logs = live().map((id) => c.appliedData(id).join(','));
  const agree = logs.every((l) => l === logs[0]);
  say(
    `all ${peers} peers applied the same ${c.appliedData(second).length} entries: ${agree ? 'yes' : 'NO'}`,
  );
  say(`leader: peer ${leader()}, term ${c.node(leader()!).raft.term}; no entry was lost`);
  if (!agree) throw new Error('peers disagree: this is a bug');
}
