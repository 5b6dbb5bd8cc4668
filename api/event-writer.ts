// The buffered writer that takes events off the request path and writes them to the stream in
// batches (through FeedStore.appendEvents, api/store.ts).
import type { EventRow } from '../model/types';
import { isEncoded, type AppendOptions, type EncodedEvents } from './event-encoding';

/** Where the writer's batches go: FeedStore.appendEvents. */
export interface EventSink {
  appendEvents(events: ReadonlyArray<EventRow | EncodedEvents>, opts: AppendOptions): Promise<void>;
}

const weight = (e: EventRow | EncodedEvents) => (isEncoded(e) ? e.n : 1);
const CHUNK_BYTES = 256 * 1024;

/**
 * Batched, buffered writer of events to the stream. `push` never waits: events are written in
 * pipelines of `batch` every `flushMs`. While Redis is unavailable they stay buffered (up to
 * `maxBuffered`; beyond that the oldest are dropped and counted).
 */
export class BufferedEventWriter {
  private queue: Array<EventRow | EncodedEvents> = [];
  private events = 0; // events in `queue` (a chunk counts n)
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  dropped = 0;
  written = 0;

  constructor(
    private readonly store: EventSink,
    private readonly opts: AppendOptions & { flushMs: number; batch: number; maxBuffered: number; concurrency: number },
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /** Events waiting to be written. */
  get buffered(): number {
    return this.events;
  }

  /** Room for n more events without dropping any? */
  hasRoom(n: number): boolean {
    return this.events + n <= this.opts.maxBuffered;
  }

  push(events: ReadonlyArray<EventRow | EncodedEvents>): void {
    this.seal(); // keep arrival order
    for (const e of events) {
      this.queue.push(e);
      this.events += weight(e);
    }
    this.trim();
    this.schedule(this.opts.flushMs);
  }

  // Text pushed with pushText is copied into one shared off-heap chunk (CHUNK_BYTES) and cut into
  // entries of at most `batch` events: one ArrayBuffer per ~1k events instead of one per feed.
  private chunk: Buffer | null = null;
  private chunkStart = 0; // start of the part not yet in the queue
  private chunkUsed = 0;
  private chunkEvents = 0; // events in chunk[chunkStart, chunkUsed)

  /** Append `n` encoded events (newline-separated JSON, as encodeEvent writes them). */
  pushText(text: string, n: number): void {
    this.pushEncoded(Buffer.byteLength(text), n, (buf, at) => buf.write(text, at));
  }

  /**
   * Append `n` encoded events that `write` puts straight into the chunk at `at` (at most
   * `maxBytes`; it returns the bytes written): no string is built for them.
   */
  pushEncoded(maxBytes: number, n: number, write: (buf: Buffer, at: number) => number): void {
    const sep = this.chunkEvents > 0 ? 1 : 0;
    if (!this.chunk || this.chunkUsed + sep + maxBytes > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, maxBytes));
      this.chunkStart = this.chunkUsed = 0;
    }
    if (this.chunkEvents > 0) this.chunk[this.chunkUsed++] = 10; // '\n'
    this.chunkUsed += write(this.chunk, this.chunkUsed);
    this.chunkEvents += n;
    this.events += n;
    if (this.chunkEvents >= this.opts.batch) this.seal();
    this.trim();
    this.schedule(this.opts.flushMs);
  }

  /** Move the open part of the chunk into the queue. */
  private seal(): void {
    if (this.chunk && this.chunkEvents > 0) this.queue.push({ data: this.chunk.subarray(this.chunkStart, this.chunkUsed), n: this.chunkEvents });
    this.chunkStart = this.chunkUsed;
    this.chunkEvents = 0;
  }

  /** Drop the oldest entries beyond the cap. */
  private trim(): void {
    if (this.events > this.opts.maxBuffered) this.seal();
    let drop = 0;
    while (this.events > this.opts.maxBuffered && drop < this.queue.length) {
      const w = weight(this.queue[drop++]);
      this.events -= w;
      this.dropped += w;
    }
    if (drop > 0) this.queue.splice(0, drop);
  }

  /** Up to `batch` events from the front (at least one entry). */
  private take(): Array<EventRow | EncodedEvents> {
    let n = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || n + weight(this.queue[count]) <= this.opts.batch)) n += weight(this.queue[count++]);
    this.events -= n;
    return this.queue.splice(0, count);
  }

  private schedule(ms: number): void {
    if (this.timer || this.events === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Write everything buffered now (stops at the first failure and retries later). */
  flush(): Promise<void> {
    // `.finally` runs asynchronously, so `flushing` is cleared after it was set even when there is nothing to write.
    if (!this.flushing) this.flushing = this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** `concurrency` lanes take batches from the queue: several round trips in flight keep up with a busy Redis. */
  private async drain(): Promise<void> {
    this.seal();
    const failed: Array<{ seq: number; batch: Array<EventRow | EncodedEvents> }> = [];
    let seq = 0;
    const lane = async () => {
      while (failed.length === 0 && this.queue.length > 0) {
        const mine = { seq: seq++, batch: this.take() };
        try {
          await this.store.appendEvents(mine.batch, this.opts);
          for (const e of mine.batch) this.written += weight(e);
        } catch (e) {
          if (failed.length === 0) this.onError(e);
          failed.push(mine);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.opts.concurrency) }, lane));
    if (failed.length === 0) return;
    // Failed batches go back in front, in the order they were taken (older than anything pushed
    // meanwhile), trimmed to the cap; retried after a full interval so the circuit can settle.
    failed.sort((a, b) => a.seq - b.seq);
    const back = failed.flatMap((f) => f.batch);
    for (const e of back) this.events += weight(e);
    this.queue = back.concat(this.queue);
    this.trim();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule(Math.max(this.opts.flushMs, 500));
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
