/**
 * KvSender over a framed TCP socket to the store's shared port (@atoll/proto/frames,
 * KV_PREFACE): the same KvRequestBatch / KvResponseBatch messages as the gRPC `Kv/Stream`,
 * without HTTP/2 (less than half the CPU per message on loopback). Plaintext only: with TLS,
 * connect() uses GrpcKvSender.
 *
 * Per store one connection; requests issued in the same turn travel in one frame, responses
 * are matched by id. Nothing is written before the connection is up: requests still waiting
 * when it fails, or when CONNECT_TIMEOUT_MS passes, fail as "not sent" (safe to retry);
 * requests written when it breaks fail as "unknown". A connection with requests written and
 * nothing heard for SILENCE_TIMEOUT_MS is taken for dead (a half-open TCP connection).
 */

import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameReader, KV_PREFACE } from '@atoll/proto/frames';
import { decodeKvResponseBatch, encodeKvRequestBatch } from '@atoll/proto/kv-wire';
import { CONNECT_TIMEOUT_MS, PendingRequests } from './pending-requests.js';
import type { KvRequest, KvResponse, KvSender } from './ports.js';
import { SendError, SendFailure } from './ports.js';

/**
 * How long a connection may stay silent while requests wait for answers before it is given
 * up. A store answers every request within its own timeouts (well under this), so silence
 * this long means a dead peer that TCP has not noticed; gRPC's keepalive took about as long.
 */
export const SILENCE_TIMEOUT_MS = 15_000;
/** The largest response frame accepted (a scan at its limit stays far below). */
const RESPONSE_FRAME_BYTES_MAX = 64 * 1024 * 1024;

/** One store's connection and the requests on it. */
class StoreSocket {
  private socket: Socket | undefined;
  private connected = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private reader = new FrameReader(RESPONSE_FRAME_BYTES_MAX);
  private readonly requests = new PendingRequests();
  private flushScheduled = false;
  /** Responses received; the silence check watches it move. */
  private heard = 0;
  private heardAtCheck = 0;
  private silenceTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly timeouts: SocketKvTimeouts,
  ) {}

  send(request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    if (this.closed) return Promise.reject(new SendError(SendFailure.NotSent, 'sender closed'));
    const answer = this.requests.add(request, deadlineMs);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return answer;
  }

  close(): void {
    this.closed = true;
    this.broken(new Error('sender closed'));
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.requests.queued === 0 || this.closed) return;
    if (!this.socket) this.open();
    if (!this.connected) return; // the 'connect' handler flushes
    while (this.requests.queued > 0) {
      const requests = this.requests.takeBatch();
      this.socket!.write(encodeFrame(encodeKvRequestBatch(requests)));
    }
    this.silenceTimer ??= this.startSilenceCheck();
  }

  private open(): void {
    const at = this.address.lastIndexOf(':');
    const host = this.address.slice(0, at).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    const socket = connect({ host, port: Number(this.address.slice(at + 1)), noDelay: true });
    this.socket = socket;
    this.reader = new FrameReader(RESPONSE_FRAME_BYTES_MAX);
    this.connectTimer = setTimeout(() => {
      if (this.socket === socket && !this.connected) {
        this.broken(new Error(`cannot connect within ${this.timeouts.connectMs} ms`), socket);
      }
    }, this.timeouts.connectMs);
    socket.once('connect', () => {
      if (this.socket !== socket) return;
      clearTimeout(this.connectTimer);
      this.connected = true;
      socket.write(KV_PREFACE);
      this.flush();
    });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (e) => this.broken(e, socket));
    socket.on('close', () => this.broken(new Error('the store closed the connection'), socket));
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    let batches: KvResponse[][];
    try {
      batches = this.reader.push(chunk).map(decodeKvResponseBatch);
    } catch (e) {
      this.broken(new Error(`a bad frame from the store: ${(e as Error).message}`), socket);
      return;
    }
    for (const responses of batches) this.heard += this.requests.answer(responses);
  }

  /** While requests are written and unanswered, a silent connection is given up. */
  private startSilenceCheck(): NodeJS.Timeout {
    this.heardAtCheck = this.heard;
    const timer = setInterval(() => {
      if (!this.requests.awaitingAnswers) {
        clearInterval(timer);
        if (this.silenceTimer === timer) this.silenceTimer = undefined;
      } else if (this.heard === this.heardAtCheck && this.socket) {
        this.broken(new Error(`no answer from the store for ${this.timeouts.silenceMs} ms`));
      } else {
        this.heardAtCheck = this.heard;
      }
    }, this.timeouts.silenceMs);
    timer.unref();
    return timer;
  }

  /** The connection is gone (`socket`: only if it is still the current one). */
  private broken(e: Error, socket?: Socket): void {
    if (socket && this.socket !== socket) return;
    const was = this.socket;
    this.socket = undefined;
    this.connected = false;
    clearTimeout(this.connectTimer);
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    this.silenceTimer = undefined;
    was?.destroy();
    this.requests.failAll(`connection to store broke: ${e.message}`);
  }
}

/** Timeouts of a SocketKvSender (tests shorten them). */
export interface SocketKvTimeouts {
  /** Waiting for a connection before its requests fail as not sent. */
  readonly connectMs: number;
  /** Silence, with requests written and unanswered, before the connection is given up. */
  readonly silenceMs: number;
}

/** KvSender over framed sockets, one connection per store address. */
export class SocketKvSender implements KvSender {
  private readonly sockets = new Map<string, StoreSocket>();
  private readonly timeouts: SocketKvTimeouts;

  constructor(timeouts: Partial<SocketKvTimeouts> = {}) {
    this.timeouts = {
      connectMs: timeouts.connectMs ?? CONNECT_TIMEOUT_MS,
      silenceMs: timeouts.silenceMs ?? SILENCE_TIMEOUT_MS,
    };
  }

  send(address: string, request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    let s = this.sockets.get(address);
    if (!s) {
      s = new StoreSocket(address, this.timeouts);
      this.sockets.set(address, s);
    }
    return s.send(request, deadlineMs);
  }

  async close(): Promise<void> {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
