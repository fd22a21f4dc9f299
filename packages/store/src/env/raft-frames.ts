/**
 * The socket Raft link's framing (@atoll/proto/frames, the wire contract), with the store's
 * error for a frame over the cap: STORE_ERR_MALFORMED_REQUEST, so that the connection is
 * dropped and reported like any other bad input. Not here: sockets.
 */

import { FrameTooLargeError, FrameReader as WireFrameReader } from '@atoll/proto/frames';
import { StoreError, StoreErrorCode } from '../errors.js';
import { SOCKET_FRAME_BYTES_MAX } from './transport-limits.js';

export { encodeFrame, RAFT_PREFACE as RAFT_SOCKET_PREFACE } from '@atoll/proto/frames';

/** A frame reader that throws StoreErrors. */
export class FrameReader {
  private readonly reader: WireFrameReader;

  constructor(frameBytesMax = SOCKET_FRAME_BYTES_MAX) {
    this.reader = new WireFrameReader(frameBytesMax);
  }

  /** See @atoll/proto/frames FrameReader.push; over the cap: STORE_ERR_MALFORMED_REQUEST. */
  push(chunk: Buffer): Buffer[] {
    try {
      return this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameTooLargeError)) throw e;
      throw new StoreError(
        StoreErrorCode.Malformed,
        `a Raft frame of ${e.bytes} bytes is over the ${e.max}-byte cap`,
        false,
        { bytes: e.bytes, max: e.max },
      );
    }
  }

  /** Bytes received and not yet returned as frames. */
  get pendingBytes(): number {
    return this.reader.pendingBytes;
  }
}
