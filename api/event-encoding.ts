// Events as the stream holds them: one JSON per entry, encoded field for field, and chunks of
// entries already encoded; plus what an append does beside the stream (the recent-watch sets).
import type { EventRow } from '../model/types';

/** What an append does beside the stream: the watches go to their users' recent sets. */
export interface AppendOptions {
  recentMax: number; // keep the newest this many watches per user
  recentTtlSeconds: number;
}

/**
 * `n` stream entries encoded as newline-separated JSON (what encodeEvent gives, or impression
 * slates; JSON never holds a raw newline) in an off-heap Buffer: buffered entries cost the garbage
 * collector nothing to move.
 */
export interface EncodedEvents {
  data: Buffer;
  n: number;
}

export function isEncoded(e: EventRow | EncodedEvents): e is EncodedEvents {
  return (e as EncodedEvents).data instanceof Buffer;
}

const str = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));
const numOrNull = (n: number | null) => (n === null || !Number.isFinite(n) ? 'null' : String(n));

/** JSON.stringify(e) for an EventRow, field for field, without the generic walk (~40k calls/s at 2k feeds/s). */
export function encodeEvent(e: EventRow): string {
  return `{"event_id":${str(e.event_id)},"user_id":${str(e.user_id)},"movie_id":${str(e.movie_id)},"event_type":${str(e.event_type)},"ts":${str(e.ts)},"watch_seconds":${numOrNull(e.watch_seconds)},"duration_seconds":${numOrNull(e.duration_seconds)},"rating":${numOrNull(e.rating)},"source":${str(e.source)}}`;
}
