/**
 * The Kv stream's hottest messages by hand (wire.ts): batches of single-key puts from the
 * client, and the empty "done" answers to them. Every batch that holds anything else (another
 * request kind, an error, a field these functions do not know) goes through protobufjs
 * whole, so the hand-written path never has to be complete, only exact: its bytes equal
 * protobufjs's (the tests compare them).
 */

import { atoll } from '@atoll/proto';
import {
  bytesKey as BYTES,
  bytesFieldSize,
  epochBodySize,
  optBytesFieldSize as optBytes,
  optVarintFieldSize as optVarint,
  varintKey as VARINT,
  varintFieldSize,
  WireReader,
  WireWriter,
} from './wire.js';

type KvRequest = atoll.kv.IKvRequest;
type KvResponse = atoll.kv.IKvResponse;
type Context = atoll.kv.IContext;

const EMPTY: Uint8Array = new Uint8Array(0);

// Field numbers (proto/kvpb.proto, proto/metapb.proto).
const BATCH_ITEMS = 1;
const ID = 1;
const REQUEST_PUT = 4;
const RESPONSE_PUT = 6;
const PUT_CONTEXT = 1;
const PUT_KEY = 2;
const PUT_VALUE = 3;
const CTX_REGION_ID = 1;
const CTX_EPOCH = 2;
const CTX_STALE_READ = 3;
const CTX_REQUEST_ID = 4;

/** Not the shape handled here (thrown inside a decoder, caught at its top). */
const OTHER = Symbol('not a hot Kv message');

/** A number field protobufjs would write (non-zero), or -1 when it is not a plain number. */
function num(n: unknown): number {
  if (n == null) return 0;
  return typeof n === 'number' && n >= 0 && Number.isSafeInteger(n) ? n : -1;
}

/** Sizes of a put request's parts, or undefined when it is not a plain put. */
interface PutSizes {
  readonly context: number;
  readonly put: number;
  readonly request: number;
}

function putSizes(r: KvRequest): PutSizes | undefined {
  const put = r.put;
  if (put == null || hasOtherCommand(r)) return undefined;
  const id = num(r.id);
  if (id < 0) return undefined;
  const ctx = put.context;
  let context = 0;
  if (ctx != null) {
    const regionId = num(ctx.regionId);
    if (regionId < 0) return undefined;
    if (ctx.epoch != null) {
      const confVer = num(ctx.epoch.confVer);
      const version = num(ctx.epoch.version);
      if (confVer < 0 || version < 0) return undefined;
      context += bytesFieldSize(CTX_EPOCH, epochBodySize({ confVer, version }));
    }
    context +=
      optVarint(CTX_REGION_ID, regionId) +
      (ctx.staleRead ? varintFieldSize(CTX_STALE_READ, 1) : 0) +
      optBytes(CTX_REQUEST_ID, ctx.requestId);
  }
  const body =
    (ctx != null ? bytesFieldSize(PUT_CONTEXT, context) : 0) +
    optBytes(PUT_KEY, put.key) +
    optBytes(PUT_VALUE, put.value);
  return {
    context,
    put: body,
    request: optVarint(ID, id) + bytesFieldSize(REQUEST_PUT, body),
  };
}

function hasOtherCommand(r: KvRequest): boolean {
  return (
    r.get != null ||
    r.batchGet != null ||
    r.batchPut != null ||
    r.delete != null ||
    r.deleteRange != null ||
    r.scan != null ||
    r.cas != null
  );
}

function writePut(w: WireWriter, r: KvRequest, s: PutSizes): void {
  const put = r.put!;
  w.messageHeader(BATCH_ITEMS, s.request);
  const id = num(r.id);
  if (id !== 0) w.varintField(ID, id);
  w.messageHeader(REQUEST_PUT, s.put);
  const ctx = put.context;
  if (ctx != null) {
    w.messageHeader(PUT_CONTEXT, s.context);
    const regionId = num(ctx.regionId);
    if (regionId !== 0) w.varintField(CTX_REGION_ID, regionId);
    if (ctx.epoch != null) {
      w.epochField(CTX_EPOCH, { confVer: num(ctx.epoch.confVer), version: num(ctx.epoch.version) });
    }
    if (ctx.staleRead) w.varintField(CTX_STALE_READ, 1);
    w.optBytesField(CTX_REQUEST_ID, ctx.requestId);
  }
  w.optBytesField(PUT_KEY, put.key);
  w.optBytesField(PUT_VALUE, put.value);
}

/** A KvRequestBatch's bytes. */
export function encodeKvRequestBatch(requests: readonly KvRequest[]): Uint8Array {
  const sizes: PutSizes[] = [];
  let total = 0;
  for (const r of requests) {
    const s = putSizes(r);
    if (!s) return atoll.kv.KvRequestBatch.encode({ requests: [...requests] }).finish();
    sizes.push(s);
    total += bytesFieldSize(BATCH_ITEMS, s.request);
  }
  const w = new WireWriter(total);
  for (let i = 0; i < requests.length; i++) writePut(w, requests[i]!, sizes[i]!);
  return w.finish();
}

function readContext(r: WireReader): Context {
  const end = r.lengthEnd();
  let regionId = 0;
  let epoch: atoll.meta.IRegionEpoch | null = null;
  let staleRead = false;
  let requestId = EMPTY;
  while (r.pos < end) {
    const k = r.varint();
    if (k === VARINT(CTX_REGION_ID)) regionId = r.varint();
    else if (k === BYTES(CTX_EPOCH)) epoch = r.epoch();
    else if (k === VARINT(CTX_STALE_READ)) staleRead = r.varint() !== 0;
    else if (k === BYTES(CTX_REQUEST_ID)) requestId = r.bytes();
    else throw OTHER;
  }
  if (r.pos !== end) throw OTHER;
  return { regionId, epoch, staleRead, requestId };
}

function readPut(r: WireReader): atoll.kv.IRawPutRequest {
  const end = r.lengthEnd();
  let context: Context | null = null;
  let key = EMPTY;
  let value = EMPTY;
  while (r.pos < end) {
    const k = r.varint();
    if (k === BYTES(PUT_CONTEXT)) context = readContext(r);
    else if (k === BYTES(PUT_KEY)) key = r.bytes();
    else if (k === BYTES(PUT_VALUE)) value = r.bytes();
    else throw OTHER;
  }
  if (r.pos !== end) throw OTHER;
  return { context, key, value };
}

function readRequest(r: WireReader): KvRequest {
  const end = r.lengthEnd();
  let id = 0;
  let put: atoll.kv.IRawPutRequest | null = null;
  while (r.pos < end) {
    const k = r.varint();
    if (k === VARINT(ID)) id = r.varint();
    else if (k === BYTES(REQUEST_PUT) && put === null) put = readPut(r);
    else throw OTHER;
  }
  if (r.pos !== end || put === null) throw OTHER;
  return { id, put };
}

/**
 * A KvRequestBatch's requests. Puts come back as plain objects with protobufjs's defaults
 * for absent fields; throws (protobufjs's error) on a malformed batch.
 */
export function decodeKvRequestBatch(bytes: Uint8Array): KvRequest[] {
  try {
    const r = new WireReader(bytes);
    const requests: KvRequest[] = [];
    while (!r.done) {
      if (r.varint() !== BYTES(BATCH_ITEMS)) throw OTHER;
      requests.push(readRequest(r));
    }
    return requests;
  } catch {
    return atoll.kv.KvRequestBatch.decode(bytes).requests;
  }
}

/** A response that is only "the put is done": its id, an empty put result, nothing else. */
function isPutDone(r: KvResponse): boolean {
  const put = r.put;
  if (put == null || r.regionError != null || r.error != null || num(r.id) < 0) return false;
  for (const _ in put) return false;
  return (
    r.get == null &&
    r.batchGet == null &&
    r.batchPut == null &&
    r.delete == null &&
    r.deleteRange == null &&
    r.scan == null &&
    r.cas == null
  );
}

/** Body of a put-done response with id `id`: its id, then an empty put result. */
function putDoneSize(id: number): number {
  return optVarint(ID, id) + bytesFieldSize(RESPONSE_PUT, 0);
}

/** A KvResponseBatch's bytes. */
export function encodeKvResponseBatch(responses: readonly KvResponse[]): Uint8Array {
  let total = 0;
  for (const r of responses) {
    if (!isPutDone(r))
      return atoll.kv.KvResponseBatch.encode({ responses: [...responses] }).finish();
    total += bytesFieldSize(BATCH_ITEMS, putDoneSize(num(r.id)));
  }
  const w = new WireWriter(total);
  for (const r of responses) {
    const id = num(r.id);
    w.messageHeader(BATCH_ITEMS, putDoneSize(id));
    if (id !== 0) w.varintField(ID, id);
    w.messageHeader(RESPONSE_PUT, 0);
  }
  return w.finish();
}

/** A KvResponseBatch's responses; throws (protobufjs's error) on a malformed batch. */
export function decodeKvResponseBatch(bytes: Uint8Array): KvResponse[] {
  try {
    const r = new WireReader(bytes);
    const responses: KvResponse[] = [];
    while (!r.done) {
      if (r.varint() !== BYTES(BATCH_ITEMS)) throw OTHER;
      const end = r.lengthEnd();
      let id = 0;
      let done = false;
      while (r.pos < end) {
        const k = r.varint();
        if (k === VARINT(ID)) id = r.varint();
        else if (k === BYTES(RESPONSE_PUT) && r.varint() === 0) done = true;
        else throw OTHER;
      }
      if (r.pos !== end || !done) throw OTHER;
      responses.push({ id, put: {} });
    }
    return responses;
  } catch {
    return atoll.kv.KvResponseBatch.decode(bytes).responses;
  }
}
