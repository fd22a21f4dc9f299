/**
 * The hot Raft command written and read by hand: client writes made only of puts and deletes,
 * no admin part. The leader encodes one per proposal and every replica decodes it when it
 * applies, so protobufjs's per-field objects were a tenth of a leader's event-loop time at
 * concurrency 256. The bytes are protobufjs's (same fields, same order, defaults left out);
 * anything else (an admin command, another operation, the pre-batching fields, an unknown
 * field) answers `undefined` and goes through protobufjs (command-codec.ts).
 */

import {
  bytesFieldSize,
  bytesKey,
  epochBodySize,
  optBytesFieldSize as optBytes,
  optVarintFieldSize as optVarint,
  varintKey,
  WireReader,
  WireWriter,
} from '@atoll/proto/wire';
import type { Command, WriteOp, WriteRequest } from './command-codec.js';

const EMPTY: Uint8Array = new Uint8Array(0);

// Field numbers (proto/storepb.proto, proto/metapb.proto).
const CMD_REGION_ID = 1;
const CMD_EPOCH = 2;
const CMD_PROPOSED_AT_MS = 6;
const CMD_REQUESTS = 7;
const REQUEST_WRITES = 1;
const REQUEST_ID = 2;
const OP_PUT = 1;
const OP_DELETE = 2;
const KEY = 1;
const VALUE = 2;

/** The body of a WriteOp, or -1 when it is not a lone put or delete. */
function opBodySize(op: WriteOp): number {
  if (op.deleteRange != null || op.cas != null) return -1;
  if (op.put != null) {
    if (op.delete != null) return -1;
    return bytesFieldSize(OP_PUT, optBytes(KEY, op.put.key) + optBytes(VALUE, op.put.value));
  }
  if (op.delete != null) return bytesFieldSize(OP_DELETE, optBytes(KEY, op.delete.key));
  return -1;
}

/** The body of a WriteRequest, or -1 when one of its writes is not a put or delete. */
function requestBodySize(r: WriteRequest): number {
  let size = optBytes(REQUEST_ID, r.requestId);
  for (const op of r.writes) {
    const body = opBodySize(op);
    if (body < 0) return -1;
    size += bytesFieldSize(REQUEST_WRITES, body);
  }
  return size;
}

function writeOp(w: WireWriter, op: WriteOp): void {
  if (op.put != null) {
    const put = op.put;
    w.messageHeader(OP_PUT, optBytes(KEY, put.key) + optBytes(VALUE, put.value));
    w.optBytesField(KEY, put.key);
    w.optBytesField(VALUE, put.value);
  } else {
    const key = op.delete!.key;
    w.messageHeader(OP_DELETE, optBytes(KEY, key));
    w.optBytesField(KEY, key);
  }
}

/** The command's bytes, or undefined when it is not made of puts and deletes alone. */
export function encodeWriteCommand(c: Command): Uint8Array | undefined {
  if (c.split) return undefined;
  const epochBody = epochBodySize(c.epoch);
  const proposedAtMs = c.proposedAtMs ?? 0;
  let size =
    optVarint(CMD_REGION_ID, c.regionId) +
    bytesFieldSize(CMD_EPOCH, epochBody) +
    optVarint(CMD_PROPOSED_AT_MS, proposedAtMs);
  const bodies: number[] = [];
  for (const r of c.requests) {
    const body = requestBodySize(r);
    if (body < 0) return undefined;
    bodies.push(body);
    size += bytesFieldSize(CMD_REQUESTS, body);
  }
  const w = new WireWriter(size);
  w.optVarintField(CMD_REGION_ID, c.regionId);
  w.epochField(CMD_EPOCH, c.epoch);
  w.optVarintField(CMD_PROPOSED_AT_MS, proposedAtMs);
  for (let i = 0; i < c.requests.length; i++) {
    const r = c.requests[i]!;
    w.messageHeader(CMD_REQUESTS, bodies[i]!);
    for (const op of r.writes) {
      w.messageHeader(REQUEST_WRITES, opBodySize(op));
      writeOp(w, op);
    }
    w.optBytesField(REQUEST_ID, r.requestId);
  }
  return w.finish();
}

/** Thrown inside the decoder when the command is not the hot shape (caught below). */
const NOT_HOT = Symbol('not a write command');

// The readers below walk one WireReader through nested messages by their end positions
// (no reader object per message); a nested length that disagrees with its fields is NOT_HOT,
// and protobufjs then reports the malformed command.

/** A nested message's fields must end exactly where its length said. */
function endAt(r: WireReader, end: number): void {
  if (r.pos !== end) throw NOT_HOT;
}

function readKeyValue(r: WireReader, withValue: boolean): WriteOp {
  const end = r.lengthEnd();
  let key = EMPTY;
  let value = EMPTY;
  while (r.pos < end) {
    const k = r.varint();
    if (k === bytesKey(KEY)) key = r.bytes();
    else if (withValue && k === bytesKey(VALUE)) value = r.bytes();
    else throw NOT_HOT;
  }
  endAt(r, end);
  return withValue ? { put: { key, value } } : { delete: { key } };
}

function readOp(r: WireReader): WriteOp {
  const end = r.lengthEnd();
  const k = r.varint();
  let op: WriteOp;
  if (k === bytesKey(OP_PUT)) op = readKeyValue(r, true);
  else if (k === bytesKey(OP_DELETE)) op = readKeyValue(r, false);
  else throw NOT_HOT;
  // A second field in one WriteOp (another member of the oneof, or unknown): not ours.
  endAt(r, end);
  return op;
}

function readRequest(r: WireReader): WriteRequest {
  const end = r.lengthEnd();
  const writes: WriteOp[] = [];
  let requestId = EMPTY;
  while (r.pos < end) {
    const k = r.varint();
    if (k === bytesKey(REQUEST_WRITES)) writes.push(readOp(r));
    else if (k === bytesKey(REQUEST_ID)) requestId = r.bytes();
    else throw NOT_HOT;
  }
  endAt(r, end);
  return { writes, requestId };
}

/**
 * The command in `data`, or undefined when it is not made of puts and deletes alone (the
 * caller decodes it with protobufjs, which also reports a malformed one).
 */
export function decodeWriteCommand(data: Uint8Array): Command | undefined {
  try {
    const r = new WireReader(data);
    let regionId = 0;
    let epoch: Command['epoch'] = { confVer: 0, version: 0 };
    let proposedAtMs = 0;
    const requests: WriteRequest[] = [];
    while (!r.done) {
      const k = r.varint();
      if (k === bytesKey(CMD_REQUESTS)) requests.push(readRequest(r));
      else if (k === varintKey(CMD_REGION_ID)) regionId = r.varint();
      else if (k === bytesKey(CMD_EPOCH)) epoch = r.epoch();
      else if (k === varintKey(CMD_PROPOSED_AT_MS)) proposedAtMs = r.varint();
      else return undefined;
    }
    return { regionId, epoch, requests, proposedAtMs };
  } catch {
    // NOT_HOT, or a malformed command: protobufjs decodes it again and reports what is wrong.
    return undefined;
  }
}
