/**
 * What the PD's gRPC handlers share: the core, the leadership watcher, the members, the
 * heartbeat streams and metrics, and the helpers that build response headers (the cluster
 * id on every one; errors as atoll.error.Error; the leader member with PD_ERR_NOT_LEADER).
 *
 * Not here: the handlers (grpc-pd-service.ts, pd-stream-handlers.ts).
 */

import type { atoll } from '@atoll/proto';
import { AssertionError } from '../assert.js';
import { notLeader, PdError, PdErrorCode } from '../errors.js';
import type { PdLogger } from '../logger.js';
import type { PlacementDriver } from '../placement-driver.js';
import type { HeartbeatStreams } from './heartbeat-streams.js';
import type { PdMember } from './initial-cluster.js';
import type { PdLeadership } from './pd-leadership.js';
import type { PdMetrics } from './pd-metrics.js';
import { errorToProto } from './pd-wire.js';

/** The logger a PD server writes to: pino-compatible, with error(). */
export interface PdServerLogger extends PdLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/** Everything the handlers need. */
export interface PdServiceContext {
  readonly pd: PlacementDriver;
  readonly clusterId: number;
  readonly memberId: number;
  readonly members: readonly PdMember[];
  readonly leadership: PdLeadership;
  readonly streams: HeartbeatStreams;
  readonly metrics: PdMetrics;
  readonly logger: PdServerLogger;
  /** A broken invariant (AssertionError) in a handler: the process should stop. */
  readonly onFatal?: (e: Error) => void;
}

/** A member on the wire (one address serves clients and members alike). */
export function memberToProto(m: PdMember): atoll.pd.IMember {
  return { id: m.id, name: `pd-${m.id}`, clientAddress: m.address, peerAddress: m.address };
}

/** The member this one believes leads the PD region, if known. */
export function leaderMember(ctx: PdServiceContext): atoll.pd.IMember | undefined {
  const id = ctx.leadership.leaderMemberId();
  const m = ctx.members.find((x) => x.id === id);
  return m && memberToProto(m);
}

/** A header without error. */
export function okHeader(ctx: PdServiceContext): atoll.pd.IResponseHeader {
  return { clusterId: ctx.clusterId };
}

/** A header carrying `e` (with the leader member for PD_ERR_NOT_LEADER). */
export function errorHeader(ctx: PdServiceContext, e: PdError): atoll.pd.IResponseHeader {
  const header: atoll.pd.IResponseHeader = { clusterId: ctx.clusterId, error: errorToProto(e) };
  if (e.code === PdErrorCode.NotLeader) {
    const leader = leaderMember(ctx);
    if (leader) header.leader = leader;
  }
  return header;
}

/** The NOT_LEADER header, naming the leader as this member knows it. */
export function notLeaderHeader(ctx: PdServiceContext): atoll.pd.IResponseHeader {
  const leader = leaderMember(ctx);
  const where = leader ? `; the leader is member ${leader.id} at ${leader.clientAddress}` : '';
  return errorHeader(
    ctx,
    new PdError(notLeader().code, `this PD member is not serving${where}`, true),
  );
}

/**
 * Turns an error thrown by a handler into a header. PdErrors are operating errors and go
 * back to the caller; anything else is a bug: it is logged, an AssertionError is reported
 * as fatal, and the caller gets an internal error.
 */
export function headerForError(
  ctx: PdServiceContext,
  e: unknown,
  method: string,
): atoll.pd.IResponseHeader {
  if (e instanceof PdError) return errorHeader(ctx, e);
  const error = e instanceof Error ? e : new Error(String(e));
  ctx.logger.error({ method, error: error.message, stack: error.stack }, 'PD handler failed');
  if (e instanceof AssertionError) ctx.onFatal?.(e);
  return errorHeader(
    ctx,
    new PdError(PdErrorCode.Internal, `internal error: ${error.message}`, false),
  );
}
