/**
 * The PD's two streams. RegionHeartbeat: each heartbeat is applied and answered with the
 * region's scheduling command, if any; the stream is remembered as its store's, so that
 * commands from scheduling passes can be pushed there. Tso: requests are answered one at a
 * time, in order, with the last timestamp of the range (proto/pdpb.proto TsoResponse), and
 * only if this member still held its leader lease after the timestamps were drawn.
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { PdError, PdErrorCode } from '../errors.js';
import { HEARTBEAT_STREAMS_MAX, type HeartbeatCall } from './heartbeat-streams.js';
import {
  errorHeader,
  headerForError,
  notLeaderHeader,
  okHeader,
  type PdServiceContext,
} from './pd-service-context.js';
import { commandToProto, heartbeatFromProto, isNotLeader } from './pd-wire.js';

type TsoCall = grpc.ServerDuplexStream<atoll.pd.TsoRequest, atoll.pd.ITsoResponse>;

/**
 * TSO requests read from one stream but not yet answered. A client has one in flight;
 * 64 leaves room for other clients' pipelining while bounding what one stream can queue.
 */
export const TSO_STREAM_PENDING_MAX = 64;

/** RegionHeartbeat: apply, answer with the command, remember the stream's store. */
export function regionHeartbeatHandler(
  ctx: PdServiceContext,
): grpc.handleBidiStreamingCall<
  atoll.pd.RegionHeartbeatRequest,
  atoll.pd.IRegionHeartbeatResponse
> {
  return (call: HeartbeatCall) => {
    let closed = false;
    const close = (header: atoll.pd.IResponseHeader) => {
      if (closed || call.writableEnded) return;
      closed = true;
      ctx.streams.remove(call);
      call.write({ header });
      call.end();
    };
    if (!ctx.streams.add(call)) {
      close(errorHeader(ctx, tooMany(`more than ${HEARTBEAT_STREAMS_MAX} heartbeat streams`)));
      return;
    }
    call.on('data', (req: atoll.pd.RegionHeartbeatRequest) => {
      if (closed || call.writableEnded) return;
      ctx.metrics.requests.inc({ method: 'regionHeartbeat' });
      ctx.metrics.regionHeartbeats.inc();
      try {
        ctx.pd.checkClusterId(Number(req.header?.clusterId ?? 0));
      } catch (e) {
        close(headerForError(ctx, e, 'regionHeartbeat'));
        return;
      }
      if (!ctx.leadership.isServing()) {
        close(notLeaderHeader(ctx));
        return;
      }
      const storeId = Number(req.leader?.storeId ?? 0);
      if (storeId > 0) ctx.streams.bind(storeId, call);
      let heartbeat: ReturnType<typeof heartbeatFromProto>;
      try {
        heartbeat = heartbeatFromProto(req);
      } catch (e) {
        ctx.logger.debug({ error: (e as Error).message }, 'malformed region heartbeat');
        return;
      }
      ctx.pd.regionHeartbeat(heartbeat).then(
        (command) => {
          if (!command || closed || call.writableEnded) return;
          ctx.metrics.commandsPushed.inc();
          call.write(commandToProto(command, ctx.clusterId));
        },
        (e: unknown) => {
          if (isNotLeader(e)) close(notLeaderHeader(ctx));
          else if (e instanceof PdError) {
            ctx.logger.debug(
              { region: heartbeat.region.id, code: e.code, error: e.message },
              'region heartbeat refused',
            );
          } else headerForError(ctx, e, 'regionHeartbeat');
        },
      );
    });
    const gone = () => {
      closed = true;
      ctx.streams.remove(call);
    };
    call.on('end', () => {
      if (!closed) call.end();
      gone();
    });
    call.on('error', gone);
    call.on('close', gone);
  };
}

/** Tso: answers requests in order; each answer is the last timestamp of its range. */
export function tsoHandler(
  ctx: PdServiceContext,
): grpc.handleBidiStreamingCall<atoll.pd.TsoRequest, atoll.pd.ITsoResponse> {
  return (call: TsoCall) => {
    let chain = Promise.resolve();
    let pending = 0;
    call.on('data', (req: atoll.pd.TsoRequest) => {
      ctx.metrics.requests.inc({ method: 'tso' });
      if (++pending > TSO_STREAM_PENDING_MAX) {
        call.write({ header: errorHeader(ctx, tooMany('too many TSO requests on one stream')) });
        call.end();
        return;
      }
      chain = chain
        .then(() => answerTso(ctx, req))
        .then(
          (response) => {
            call.write(response);
          },
          (e: unknown) => {
            call.write({ header: headerForError(ctx, e, 'tso') });
          },
        )
        .finally(() => {
          pending--;
        });
    });
    call.on('end', () => {
      void chain.finally(() => call.end());
    });
    call.on('error', () => {});
  };
}

async function answerTso(
  ctx: PdServiceContext,
  req: atoll.pd.TsoRequest,
): Promise<atoll.pd.ITsoResponse> {
  ctx.pd.checkClusterId(Number(req.header?.clusterId ?? 0));
  if (!ctx.leadership.isServing()) return { header: notLeaderHeader(ctx) };
  // The lease as it stands before the timestamps are drawn: they may be sent only if it
  // still holds once they are (a renewal meanwhile does not count for them).
  const leaseEnd = ctx.leadership.leaseEnd;
  const batch = await ctx.pd.tso(req.count || 1);
  if (!ctx.leadership.stillServing(leaseEnd)) return { header: notLeaderHeader(ctx) };
  ctx.metrics.tsoRequests.inc();
  ctx.metrics.tsoTimestamps.inc(batch.count);
  return { header: okHeader(ctx), count: batch.count, timestamp: batch.last };
}

function tooMany(what: string): PdError {
  return new PdError(PdErrorCode.InvalidArgument, what, true);
}
