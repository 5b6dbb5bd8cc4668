// The "world directory" format shared by the synthetic generator and the MovieLens importer,
// and the small CSV helpers both use: RFC-4180 quoting, a buffered line writer with
// back-pressure, a streaming line/record reader (UTF-8 or Latin-1), and fast ISO-8601 UTC
// formatting of whole seconds.
//
// A world directory holds:
//   movies.csv     movie_id,title,year,genres,tags,duration_seconds,added_at
//   events.csv     event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source
//                  sorted by ts; empty field = null
//   manifest.json  written last: its presence means the other files are complete
//   truth/         (synthetic worlds only) ground truth for oracle metrics, see data/generator.ts
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { EventRow, Title } from '../model/types';

export const MOVIES_COLUMNS = ['movie_id', 'title', 'year', 'genres', 'tags', 'duration_seconds', 'added_at'] as const;
export const EVENTS_COLUMNS = ['event_id', 'user_id', 'movie_id', 'event_type', 'ts', 'watch_seconds', 'duration_seconds', 'rating', 'source'] as const;
export const MOVIES_FILE = 'movies.csv';
export const EVENTS_FILE = 'events.csv';
export const MANIFEST_FILE = 'manifest.json';

/** manifest.json of a world directory. No wall-clock values: same input ⇒ same bytes. */
export interface Manifest {
  kind: 'synthetic' | 'movielens';
  format?: string; // movielens: 'ml-latest' | 'ml-1m' | 'ml-100k'
  preset?: string; // synthetic
  seed?: number; // synthetic
  users: number; // distinct users with at least one event
  titles: number; // rows of movies.csv
  events: number; // rows of events.csv
  start: string; // ISO-8601 UTC, first instant the events cover
  end: string; // ISO-8601 UTC, last instant the events cover
}

// ---------------------------------------------------------------- writing

/** One CSV field: null/undefined → empty; quoted (with doubled quotes) only when needed. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  let s = '';
  for (let i = 0; i < fields.length; i++) s += (i ? ',' : '') + csvField(fields[i]);
  return s;
}

/** A pipe-separated list field; '|' inside an item (never in genres, rare in tags) becomes '/'. */
export function pipeList(items: readonly string[]): string {
  return items.map((s) => s.replace(/\|/g, '/')).join('|');
}

/** A movies.csv row (without the newline). */
export function titleLine(t: Title): string {
  return csvLine([t.movie_id, t.title, t.year, pipeList(t.genres), pipeList(t.tags), t.duration_seconds, t.added_at]);
}

/** An events.csv row (without the newline). */
export function eventLine(e: EventRow): string {
  return csvLine([e.event_id, e.user_id, e.movie_id, e.event_type, e.ts, e.watch_seconds, e.duration_seconds, e.rating === null ? null : e.rating.toFixed(1), e.source]);
}

const FLUSH_CHARS = 1 << 16;

/**
 * Buffered text file writer: `if (w.line(s)) await w.flush()` keeps memory flat and honours
 * the stream's back-pressure without awaiting on every line.
 */
export class LineWriter {
  private readonly stream: WriteStream;
  private pending = '';
  private error: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.on('error', (e) => {
      this.error = e;
    });
  }

  /** Queue one line; true when the buffer is full and the caller should `await flush()`. */
  line(s: string): boolean {
    this.pending += s + '\n';
    return this.pending.length >= FLUSH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.pending) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain'); // rejects if the stream errors meanwhile
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    if (!this.stream.writableFinished) await once(this.stream, 'finish');
    if (this.error) throw this.error;
  }
}

/** Create the directory and remove a stale manifest, so a half-written world never looks complete. */
export async function beginWorldDir(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await rm(join(outDir, MANIFEST_FILE), { force: true });
}

/** Write manifest.json (last step of writing a world). Keys in a fixed order. */
export async function writeManifest(outDir: string, m: Manifest): Promise<void> {
  const ordered: Manifest = {
    kind: m.kind,
    ...(m.format !== undefined ? { format: m.format } : {}),
    ...(m.preset !== undefined ? { preset: m.preset } : {}),
    ...(m.seed !== undefined ? { seed: m.seed } : {}),
    users: m.users,
    titles: m.titles,
    events: m.events,
    start: m.start,
    end: m.end,
  };
  await writeFile(join(outDir, MANIFEST_FILE), JSON.stringify(ordered, null, 2) + '\n');
}

// ---------------------------------------------------------------- time

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const dayPrefixes = new Map<number, string>();

/** Unix seconds (whole) → `YYYY-MM-DDTHH:MM:SSZ`. Caches the date part per day: cheap for millions of rows. */
export function isoUtc(unixSeconds: number): string {
  const sec = Math.floor(unixSeconds);
  const day = Math.floor(sec / 86400);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
    if (dayPrefixes.size > 50_000) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  const s = sec - day * 86400;
  return prefix + TWO_DIGITS[Math.floor(s / 3600)] + ':' + TWO_DIGITS[Math.floor(s / 60) % 60] + ':' + TWO_DIGITS[s % 60] + 'Z';
}

/** ISO-8601 string → unix seconds; throws on an unparseable value. */
export function parseIsoSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 time: "${iso}"`);
  return Math.floor(ms / 1000);
}

// ---------------------------------------------------------------- reading

export type TextEncodingName = 'utf-8' | 'latin1';

/**
 * Stream a text file line by line (without the line terminator; `\r\n` and `\n` both end a
 * line; a UTF-8 BOM is dropped). `latin1` decodes every byte as one character (MovieLens
 * 1M/100K files). `onLine` returns nothing; the whole file is never held in memory.
 */
export async function eachLine(path: string, encoding: TextEncodingName, onLine: (line: string, lineNo: number) => void): Promise<void> {
  const decoder = new TextDecoder(encoding);
  let rest = '';
  let lineNo = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let text = rest + decoder.decode(chunk as Buffer, { stream: true });
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end), ++lineNo);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest.length > 0) onLine(rest, ++lineNo);
}

/**
 * Split one CSV record (RFC 4180). Returns null when a quoted field is still open at the end
 * of the text (the record continues on the next line).
 */
export function parseCsvRecord(text: string, sep = ','): string[] | null {
  if (text.indexOf('"') === -1) return text.split(sep);
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return null;
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the separator is kept (lenient, like most readers).
      const next = text.indexOf(sep, i);
      field += next === -1 ? text.slice(i) : text.slice(i, next);
      out.push(field);
      if (next === -1) return out;
      i = next + sep.length;
    } else {
      const next = text.indexOf(sep, i);
      if (next === -1) {
        out.push(text.slice(i));
        return out;
      }
      out.push(text.slice(i, next));
      i = next + sep.length;
    }
    if (i > n) return out;
  }
}

/**
 * Stream the CSV records of a file; a quoted field may span lines. `lineNo` is the line the
 * record starts on (1 = header). Empty lines are skipped.
 */
export async function eachCsvRecord(path: string, encoding: TextEncodingName, onRecord: (fields: string[], lineNo: number) => void): Promise<void> {
  let open = '';
  let openLine = 0;
  await eachLine(path, encoding, (line, lineNo) => {
    const text = open ? open + '\n' + line : line;
    if (!open && line.length === 0) return;
    const fields = parseCsvRecord(text);
    if (fields === null) {
      if (!open) openLine = lineNo;
      open = text;
      return;
    }
    const at = open ? openLine : lineNo;
    open = '';
    onRecord(fields, at);
  });
  if (open) throw new Error(`${path}:${openLine}: unterminated quoted field`);
}

/** Parse a whole (small) CSV text into records; for tests and tiny files. */
export function parseCsvText(text: string): string[][] {
  const out: string[][] = [];
  let open = '';
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const joined = open ? open + '\n' + line : line;
    if (!open && line.length === 0) continue;
    const fields = parseCsvRecord(joined);
    if (fields === null) {
      open = joined;
      continue;
    }
    open = '';
    out.push(fields);
  }
  if (open) throw new Error('unterminated quoted field at end of text');
  return out;
}
