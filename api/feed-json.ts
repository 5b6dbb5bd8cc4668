// A feed page written as JSON bytes without building the response objects: each catalog title's
// constant fields (`{"movie_id":…,"title":…,"genres":[…],"score":`) are encoded once per version
// into one off-heap buffer, and a response is those slices plus each item's score and reason.
// At 2 000 feeds/s JSON.stringify of 50 item objects was the largest single cost of GET
// /home-feed, and the item objects and the string the largest share of the garbage each request
// leaves (the young-generation GC copies whatever is in flight, so every byte shows in the tail).
// The bytes are the same as JSON.stringify of the FeedResponse (api/feed-response.ts); a test checks it.
// The byte writer below (begin … take) is shared with /home-rows and /up-next (api/rows-json.ts).
import type { Candidate, FeedItem } from './feed';
import { roundScore } from './feed';
import type { FeedResponse } from './feed-response';

/** What a response item shows of a title. */
export interface TitleFields {
  movie_id: string;
  title: string;
  genres: string[];
}

/** The head of an item's JSON up to its score: `{"movie_id":…,"title":…,"genres":[…],"score":`. */
export function itemHead(t: TitleFields): string {
  return `{"movie_id":${JSON.stringify(t.movie_id)},"title":${JSON.stringify(t.title)},"genres":${JSON.stringify(t.genres)},"score":`;
}

const ID_AT = Buffer.byteLength('{"movie_id":');

/**
 * Every catalog title's item head, UTF-8, back to back; title i is bytes[offsets[i], offsets[i+1]),
 * and its movie id as a JSON string is bytes[offsets[i] + 12, idEnd[i]) (the impression slates copy it).
 */
export class ItemHeads {
  private constructor(
    readonly bytes: Buffer,
    readonly offsets: Uint32Array,
    readonly idEnd: Uint32Array,
  ) {}

  /** Copy title i's movie id as a JSON string into `out` at `at`; returns the bytes written. */
  copyIdJson(i: number, out: Buffer, at: number): number {
    const src = this.bytes;
    const end = this.idEnd[i];
    let o = at;
    for (let b = this.offsets[i] + ID_AT; b < end; b++) out[o++] = src[b];
    return o - at;
  }

  /** The most bytes copyIdJson writes for title i. */
  idJsonBytes(i: number): number {
    return this.idEnd[i] - this.offsets[i] - ID_AT;
  }

  /** Encodes `items` in slices of `slice` titles, awaiting `pause()` between them (a 10^5-title catalog takes ~200 ms in all; a slice ~4 ms, so a publish under load holds no request long). */
  static async build(items: readonly TitleFields[], pause: () => Promise<void> = async () => {}, slice = 2_000): Promise<ItemHeads> {
    const parts: Buffer[] = [];
    const offsets = new Uint32Array(items.length + 1);
    const idEnd = new Uint32Array(items.length);
    let at = 0;
    for (let from = 0; from < items.length; from += slice) {
      const to = Math.min(items.length, from + slice);
      let text = '';
      for (let i = from; i < to; i++) {
        const h = itemHead(items[i]);
        offsets[i] = at;
        idEnd[i] = at + ID_AT + Buffer.byteLength(JSON.stringify(items[i].movie_id));
        at += Buffer.byteLength(h);
        text += h;
      }
      parts.push(Buffer.from(text));
      await pause();
    }
    offsets[items.length] = at;
    return new ItemHeads(Buffer.concat(parts, at), offsets, idEnd);
  }
}

/** Where an impression slate goes: BufferedEventWriter's pushEncoded. */
export interface SlateSink {
  pushEncoded(maxBytes: number, n: number, write: (buf: Buffer, at: number) => number): void;
}

/**
 * One impression slate (the feed's, a row's, an up-next's), written straight into the event
 * writer's off-heap chunk: `head` (the event's JSON up to `"items":[`), the n ids, then `after`
 * (`]}`, or `],"because_of":…}`). A catalog title's id is copied as the JSON string its item head
 * holds, so no id string is read; any other id (a fresh title's) is written with JSON.stringify.
 */
export function pushSlate(sink: SlateSink, head: string, n: number, itemIndex: (i: number) => number, movieId: (i: number) => string, heads: ItemHeads | null | undefined, after: string): void {
  let idBytes = 0;
  for (let i = 0; i < n; i++) {
    const x = itemIndex(i);
    idBytes += (heads && x >= 0 && x < heads.idEnd.length ? heads.idJsonBytes(x) : Buffer.byteLength(JSON.stringify(movieId(i)))) + 1;
  }
  const size = Buffer.byteLength(head) + idBytes + Buffer.byteLength(after);
  sink.pushEncoded(size, 1, (buf, at0) => {
    let at = at0 + buf.write(head, at0);
    for (let i = 0; i < n; i++) {
      if (i > 0) buf[at++] = 0x2c; // ','
      const x = itemIndex(i);
      if (heads && x >= 0 && x < heads.idEnd.length) at += heads.copyIdJson(x, buf, at);
      else at += buf.write(JSON.stringify(movieId(i)), at);
    }
    at += buf.write(after, at);
    return at - at0;
  });
}

/** What a page of the feed is before it is written: the response's fields and the chosen candidates. */
export interface FeedPage {
  user_id: string;
  model_version: string | null;
  source: FeedResponse['source'];
  variant: string;
  items: readonly Candidate[];
  /** The title behind a candidate (a catalog title, a fresh one, or the disk fallback's). */
  titleOf: (c: Candidate) => TitleFields;
  /** The catalog's heads by item index (null: every item goes through titleOf). */
  heads: ItemHeads | null;
}

/**
 * The writer. One reused output buffer: a response is written into it and copied out at its exact size, so
 * nothing is sized twice. Safe because a response is written synchronously from start to end.
 */
let buf = Buffer.allocUnsafeSlow(64 * 1024);
let at = 0;

/** Start a response (also after one that threw half-way). */
export function begin(): void {
  at = 0;
}

function room(n: number): void {
  if (at + n <= buf.length) return;
  const next = Buffer.allocUnsafeSlow(Math.max(at + n, 2 * buf.length));
  buf.copy(next, 0, 0, at);
  buf = next;
}

/**
 * Text known to be ASCII (JSON punctuation, numbers, enum values). A loop in JS: the few dozen
 * characters of an item's tail cost less than a call into Buffer#write.
 */
export function ascii(s: string): void {
  const n = s.length;
  room(n);
  const out = buf;
  let p = at;
  for (let i = 0; i < n; i++) out[p++] = s.charCodeAt(i);
  at = p;
}

/** Any text, as UTF-8 (at most 3 bytes per UTF-16 unit). */
export function utf8(s: string): void {
  room(3 * s.length);
  at += buf.write(s, at, 'utf8');
}

/** Title `idx`'s head from the version's heads; false when they do not have it. */
export function headOf(heads: ItemHeads | null | undefined, idx: number): boolean {
  if (!heads || idx < 0 || idx + 1 >= heads.offsets.length) return false;
  const from = heads.offsets[idx];
  const to = heads.offsets[idx + 1];
  room(to - from);
  // A byte loop: Buffer#copy makes a view object per call, which costs more than ~70 bytes of copying.
  const src = heads.bytes;
  const out = buf;
  let p = at;
  for (let b = from; b < to; b++) out[p++] = src[b];
  at = p;
  return true;
}

/** The item's tail after its head: `<score>,"reason":"<reason>"[,"because_of":<id>]}`. */
export function tail(score: number, reason: string, becauseJson: string): void {
  num6(score);
  ascii(',"reason":"');
  ascii(reason);
  ascii('"');
  if (becauseJson !== '') utf8(becauseJson);
  ascii('}');
}

/**
 * A score as JSON.stringify(roundScore(x)) writes it, without making the string: round to 6
 * decimals, then the integer part, a point and the fraction without trailing zeros. Exact for
 * |x| < 1e9 (the rounded value has at most 15 significant digits, so that decimal is the
 * shortest one that reads back as the same double); larger or non-finite values take the string path.
 */
export function num6(x: number): void {
  const r = roundScore(x);
  if (!(Math.abs(r) < 1e9)) return ascii(String(r));
  const n = Math.round(Math.abs(r) * 1e6); // the 6-decimal digits as an integer (exact: < 2^53)
  room(24);
  const out = buf;
  if (r < 0 && n > 0) out[at++] = 0x2d; // '-'; −0 prints as 0
  const int = Math.floor(n / 1e6);
  let frac = n - int * 1e6;
  // integer part
  if (int === 0) out[at++] = 0x30;
  else {
    let digits = 1;
    for (let p = 10; p <= int; p *= 10) digits++;
    let v = int;
    for (let d = digits - 1; d >= 0; d--) {
      out[at + d] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    at += digits;
  }
  if (frac === 0) return;
  out[at++] = 0x2e; // '.'
  let width = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  for (let d = width - 1; d >= 0; d--) {
    out[at + d] = 0x30 + (frac % 10);
    frac = Math.floor(frac / 10);
  }
  at += width;
}

/** What was written, copied out at its size; resets the buffer for the next response. */
export function take(): Buffer {
  const out = Buffer.allocUnsafe(at);
  buf.copy(out, 0, 0, at);
  at = 0;
  return out;
}

/** The page as JSON bytes: equal to Buffer.from(JSON.stringify(toFeedResponse(page))). */
export function encodeFeedPage(p: FeedPage): Buffer {
  begin();
  utf8(`{"user_id":${JSON.stringify(p.user_id)},"model_version":${JSON.stringify(p.model_version)},"source":${JSON.stringify(p.source)},"variant":${JSON.stringify(p.variant)},"items":[`);
  for (let i = 0; i < p.items.length; i++) {
    const c = p.items[i];
    if (i > 0) ascii(',');
    if (!headOf(p.heads, c.itemIndex)) utf8(itemHead(p.titleOf(c)));
    tail(c.score, c.reason, '');
  }
  ascii(']}');
  return take();
}

/** The page as the FeedResponse object (the dashboard's preview, tests). */
export function toFeedResponse(p: FeedPage): FeedResponse {
  const items = p.items.map((c): FeedItem => {
    const t = p.titleOf(c);
    return { movie_id: t.movie_id, title: t.title, genres: t.genres, score: roundScore(c.score), reason: c.reason };
  });
  return { user_id: p.user_id, model_version: p.model_version, source: p.source, variant: p.variant, items };
}
