/**
 * Runs scripted Raft scenarios: text files of commands whose expected output is every
 * Ready (state changes, persistence, sends, applies) and every message delivered. A
 * protocol change shows up as a reviewable diff of these files.
 *
 * Format: a line "> command args" runs a command; the lines after it, up to the next
 * command, are its expected output. Lines starting with "#" are comments and kept.
 * Regenerate with UPDATE_SCENARIOS=1.
 */

import {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  isRaftError,
  MemoryStorage,
  type RaftConfig,
} from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { formatEntries, formatMessage, formatReady } from './scenario-format.js';

interface Block {
  comments: string[];
  command: string;
  expected: string[];
}

export function parseScenario(text: string): Block[] {
  const blocks: Block[] = [];
  let comments: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('> ')) {
      blocks.push({ comments, command: line.slice(2).trim(), expected: [] });
      comments = [];
    } else if (line.startsWith('#') || (line === '' && blocks.length === 0)) {
      comments.push(line);
    } else if (blocks.length > 0) {
      blocks[blocks.length - 1]!.expected.push(line);
    }
  }
  for (const b of blocks) {
    while (b.expected.length > 0 && b.expected[b.expected.length - 1] === '') b.expected.pop();
  }
  return blocks;
}

export function renderScenario(
  blocks: { comments: string[]; command: string; output: string[] }[],
): string {
  const out: string[] = [];
  for (const b of blocks) {
    out.push(...b.comments, `> ${b.command}`, ...b.output, '');
  }
  return out.join('\n');
}

const enc = new TextEncoder();

/** Interprets scenario commands against one TestCluster. */
export class ScenarioRunner {
  private cluster: TestCluster | undefined;
  private out: string[] = [];

  private get c(): TestCluster {
    if (!this.cluster) throw new Error('no cluster: start with "peers"');
    return this.cluster;
  }

  run(command: string): string[] {
    this.out = [];
    const [name, ...args] = command.split(/\s+/);
    const ids = () => args.filter((a) => /^\d+$/.test(a)).map(Number);
    try {
      switch (name) {
        case 'peers':
          this.peers(args);
          break;
        case 'campaign':
          this.c.node(ids()[0]!).campaign();
          break;
        case 'propose':
          this.c.node(Number(args[0])).propose(enc.encode(args.slice(1).join(' ')));
          break;
        case 'conf-change':
          this.c.node(Number(args[0])).proposeConfChange(parseConfChange(args.slice(1)));
          break;
        case 'add-empty-peer':
          this.c.addPeer(Number(args[0]), new MemoryStorage());
          break;
        case 'transfer-leader':
          this.c.node(Number(args[0])).transferLeader(Number(args[1]));
          break;
        case 'read-index':
          this.c.node(Number(args[0])).readIndex(enc.encode(args[1] ?? ''));
          break;
        case 'tick':
          for (const id of ids().slice(0, 1)) this.c.tick(id, Number(args[1] ?? 1));
          break;
        case 'tick-all':
          for (let i = 0; i < Number(args[0] ?? 1); i++)
            for (const id of this.c.peers.keys()) this.c.tick(id);
          break;
        case 'isolate':
          for (const id of ids()) this.c.isolate(id);
          break;
        case 'heal':
          this.c.clearFilters();
          break;
        case 'compact':
          this.c.compact(Number(args[0]));
          break;
        case 'restart':
          this.c.restart(Number(args[0]));
          break;
        case 'stabilize':
          this.c.stabilize();
          break;
        case 'status':
          this.status(ids());
          break;
        case 'log':
          for (const id of ids())
            this.out.push(`peer ${id}: ${formatEntries(this.c.node(id).raft.log.allEntries())}`);
          break;
        default:
          throw new Error(`unknown command: ${name}`);
      }
    } catch (e) {
      if (isRaftError(e)) this.out.push(`error: ${e.code}: ${e.message}`);
      else throw e;
    }
    return this.out;
  }

  private peers(args: string[]): void {
    const kv = Object.fromEntries(args.map((a) => a.split('=') as [string, string]));
    const list = (s: string | undefined) => (s ? s.split(',').map(Number) : []);
    const config: Partial<RaftConfig> = {};
    if (kv.preVote) Object.assign(config, { preVote: kv.preVote === 'true' });
    if (kv.checkQuorum) Object.assign(config, { checkQuorum: kv.checkQuorum === 'true' });
    this.cluster = new TestCluster({
      voters: list(kv.voters),
      learners: list(kv.learners),
      seed: Number(kv.seed ?? 1),
      bootstrapIndex: Number(kv.bootstrap ?? 0),
      config,
    });
    this.cluster.onReady = (id, rd) => this.out.push(...formatReady(id, rd));
    this.cluster.onDeliver = (m, dropped) =>
      this.out.push(`${dropped ? 'dropped' : 'deliver'}: ${formatMessage(m)}`);
  }

  private status(ids: number[]): void {
    for (const id of ids) {
      const s = this.c.node(id).status();
      const cs = s.confState;
      const conf = `voters=${cs.voters.join(',')}${cs.votersOutgoing.length ? `&&${cs.votersOutgoing.join(',')}` : ''}${cs.learners.length ? ` learners=${cs.learners.join(',')}` : ''}`;
      this.out.push(
        `peer ${id}: ${s.softState.role} term=${s.hardState.term} leader=${s.softState.leaderId} commit=${s.hardState.commit} applied=${s.applied} ${conf}`,
      );
      for (const [pid, pr] of s.progress ?? []) {
        this.out.push(
          `  ${pid}: ${pr.state} match=${pr.matchIndex} next=${pr.nextIndex}${pr.isLearner ? ' learner' : ''}`,
        );
      }
    }
  }
}

/** "v4 l5 r1 [joint|explicit]" */
function parseConfChange(args: string[]): ConfChange {
  let transition = ConfChangeTransition.Auto;
  const changes: ConfChangeSingle[] = [];
  for (const a of args) {
    if (a === 'joint') transition = ConfChangeTransition.JointImplicit;
    else if (a === 'explicit') transition = ConfChangeTransition.JointExplicit;
    else if (a === 'leave') continue;
    else {
      const type = {
        v: ConfChangeType.AddVoter,
        l: ConfChangeType.AddLearner,
        r: ConfChangeType.RemovePeer,
      }[a[0]!];
      if (type === undefined) throw new Error(`bad change ${a}`);
      changes.push({ type, peerId: Number(a.slice(1)) });
    }
  }
  return { transition, changes };
}
