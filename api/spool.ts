// The local spool of POST /events: when Redis cannot take a batch, the batch is appended to a
// JSON-lines file under DATA_DIR and fsynced before the API answers 202, then replayed into the
// stream when Redis returns. Bounded (maxBytes): a full spool refuses the batch (the route answers
// 503), it never drops what it already acknowledged.
//
// Files: `<dir>/seg-<startMs>-<pid>-<seq>-<rand>.jsonl` (names sort in append order within a
// process; the clock never runs backwards for it), one event per line (encodeEvent's JSON). The
// open segment takes every append; replay first seals it, so a sealed segment is never written
// again. Appends are group-committed: every batch that arrives while a write + fdatasync is in
// flight rides the next one, so a burst costs one fsync per round, not one per request.
//
// Replay is idempotent across crashes: each chunk is sent with the byte range it covers, and the
// sink (a Lua script next to the stream, see RedisFeedStore.appendSpooled) records the replayed
// offset of the segment atomically with the XADDs. Replaying a segment starts from that offset.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export class SpoolFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpoolFullError';
  }
}

export interface SpoolOptions {
  /** Largest total size of unreplayed segments, in bytes. */
  maxBytes: number;
  /** The open segment is sealed once it reaches this size. */
  segmentBytes: number;
  /** Lines per replayed chunk. */
  replayBatch: number;
}

/** Where replayed segments go (the events stream), with the replayed offset of each segment kept beside it. */
export interface SpoolSink {
  /** Bytes of `segment` already replayed (0 when never seen). */
  offset(segment: string): Promise<number>;
  /**
   * Append `lines` (bytes [from, to) of `segment`) unless the recorded offset is not `from`;
   * atomically record `to`. Returns the recorded offset afterwards (`to` when appended).
   */
  append(segment: string, from: number, to: number, lines: string[]): Promise<number>;
  /** The segment is gone from disk: drop its offset. */
  forget(segment: string): Promise<void>;
}

interface Pending {
  data: Buffer;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const SEGMENT_RE = /^seg-(\d+)-(\d+)-(\d+)-[0-9a-f]+\.jsonl$/;

/** true unless `pid` names another process that is alive (its open segment is its own). */
function replayable(name: string): boolean {
  const m = SEGMENT_RE.exec(name);
  if (!m) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class EventSpool {
  private fh: FileHandle | null = null;
  private segment: string | null = null; // name of the open segment
  private segmentSize = 0; // its durable size
  private lastMs = 0;
  private seq = 0;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private writerRunning = false; // set and cleared synchronously with the queue check: no append is ever stranded
  private sealedBytes = 0; // unreplayed bytes in sealed segments on disk (those this spool may replay)
  private replaying: Promise<number> | null = null;
  /** Events appended (durably) since start. */
  appended = 0;
  /** Events replayed into the sink since start. */
  replayed = 0;
  /** Lines of a segment that were not JSON (a torn write from a crash): skipped. */
  corrupt = 0;
  /** Write + fdatasync rounds since start (each commits every append queued before it began). */
  rounds = 0;

  constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.sealedBytes = this.diskBytes();
  }

  /** Bytes held: sealed segments, the open one and appends in flight. */
  get bytes(): number {
    return this.sealedBytes + this.segmentSize + this.queuedBytes;
  }

  /** true when nothing is waiting to be replayed (callers may then write to the stream directly). */
  isEmpty(): boolean {
    return this.bytes === 0;
  }

  /** Room for `n` more bytes? */
  hasRoom(n: number): boolean {
    return this.bytes + n <= this.opts.maxBytes;
  }

  /** Append encoded events (one JSON per line, no trailing newline); resolves once they are on disk. */
  append(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const data = Buffer.from(lines.join('\n') + '\n');
    if (!this.hasRoom(data.length)) return Promise.reject(new SpoolFullError(`the event spool is full (${this.bytes} of ${this.opts.maxBytes} bytes)`));
    this.queuedBytes += data.length;
    const done = new Promise<void>((resolve, reject) => this.queue.push({ data, resolve, reject }));
    if (!this.writerRunning) {
      this.writerRunning = true;
      this.writing = this.writeLoop();
    }
    return done.then(() => void (this.appended += lines.length));
  }

  /**
   * Write and fdatasync everything queued, round after round, until the queue is empty. Every
   * failure is caught inside a round, and `writerRunning` is cleared in the same synchronous step
   * as the final empty-queue check: an append made by a continuation of the last round's
   * callers starts a new loop instead of waiting behind one that has already ended.
   */
  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const data = Buffer.concat(batch.map((p) => p.data));
      try {
        if (!this.fh || this.segmentSize >= this.opts.segmentBytes) await this.openSegment();
        const fh = this.fh!;
        try {
          await fh.write(data, 0, data.length, this.segmentSize);
          await fh.datasync();
        } catch (e) {
          // A partial write must not glue a torn line to the next batch's first one.
          await fh.truncate(this.segmentSize).catch(() => undefined);
          throw e;
        }
        this.rounds++;
        this.segmentSize += data.length;
        this.queuedBytes -= data.length;
        for (const p of batch) p.resolve();
      } catch (e) {
        this.queuedBytes -= data.length;
        for (const p of batch) p.reject(e);
      }
    }
    this.writerRunning = false;
  }

  private async openSegment(): Promise<void> {
    await this.sealSegment();
    this.lastMs = Math.max(this.lastMs, Date.now());
    const name = `seg-${String(this.lastMs).padStart(15, '0')}-${process.pid}-${String(this.seq++).padStart(9, '0')}-${randomBytes(4).toString('hex')}.jsonl`;
    this.fh = await open(join(this.dir, name), 'a');
    this.segment = name;
    this.segmentSize = 0;
  }

  /** Close the open segment: from now on it is only read. */
  private async sealSegment(): Promise<void> {
    if (!this.fh) return;
    const fh = this.fh;
    this.fh = null;
    this.segment = null;
    this.sealedBytes += this.segmentSize;
    this.segmentSize = 0;
    await fh.close().catch(() => undefined);
  }

  /**
   * Replay every replayable segment, oldest first, into `sink`; segments fully replayed are
   * deleted. Runs until the spool is empty (appends made meanwhile are replayed too) or the sink
   * fails (rethrown; the offsets already recorded make the next call resume). One replay at a time.
   */
  replay(sink: SpoolSink): Promise<number> {
    if (!this.replaying) this.replaying = this.replayAll(sink).finally(() => (this.replaying = null));
    return this.replaying;
  }

  private async replayAll(sink: SpoolSink): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.writing) await this.writing; // a round in flight lands in the segment we are about to seal
      if (this.queue.length > 0) continue;
      await this.sealSegment();
      const names = readdirSync(this.dir).filter(replayable).sort();
      for (const name of names) total += await this.replaySegment(name, sink);
      this.sealedBytes = this.diskBytes(); // what is left (e.g. a dead process's segment found meanwhile)
      if (names.length === 0 && this.isEmpty()) return total;
    }
  }

  /** Bytes of the sealed segments this spool may replay (the open one excluded). */
  private diskBytes(): number {
    let n = 0;
    for (const name of readdirSync(this.dir)) if (name !== this.segment && replayable(name)) n += statSync(join(this.dir, name), { throwIfNoEntry: false })?.size ?? 0;
    return n;
  }

  private async replaySegment(name: string, sink: SpoolSink): Promise<number> {
    const path = join(this.dir, name);
    const buf = await readFile(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
    if (!buf) return 0;
    // Only whole lines count: a crash mid-write leaves a tail without '\n' that was never acknowledged.
    const end = buf.lastIndexOf(10) + 1;
    let sent = 0;
    let offset = await sink.offset(name); // where an earlier replay of this segment stopped
    while (offset < end) {
      const lines: string[] = [];
      let to = offset;
      while (to < end && lines.length < this.opts.replayBatch) {
        const nl = buf.indexOf(10, to);
        const line = buf.toString('utf8', to, nl);
        to = nl + 1;
        try {
          JSON.parse(line);
          lines.push(line);
        } catch {
          this.corrupt++;
        }
      }
      const at = await sink.append(name, offset, to, lines);
      if (at === to) {
        sent += lines.length;
        this.replayed += lines.length;
      }
      offset = at; // another replayer may have moved it further: continue from there
    }
    await unlink(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    await sink.forget(name);
    this.sealedBytes = Math.max(0, this.sealedBytes - buf.length);
    return sent;
  }

  async close(): Promise<void> {
    if (this.writing) await this.writing;
    await this.sealSegment();
  }
}
