// GET /home-rows and GET /up-next written as JSON bytes with api/feed-json.ts's writer, the way GET /home-feed is:
// each item is its title's precomputed head (`{"movie_id":…,"title":…,"genres":[…],"score":`)
// plus its score, reason and because_of, and no response objects are built. A 5×20 screen is
// ~15 kB: JSON.stringify of its item objects was the largest single cost of a screen after the
// scans, and those objects and the string most of its garbage. The impression slates (five per
// screen) go through feed-json.ts's pushSlate for the same reason; slateHead/slateAfter are their JSON around the ids.
// The bytes equal JSON.stringify of the response objects (rowOf, upNextResponse); a test checks it.
import { ascii, begin, headOf, itemHead, tail, take, utf8, type ItemHeads, type TitleFields } from './feed-json';
import { itemBecause, type PlannedRow, type RowsSource } from './rows';
import type { UpNextPlan } from './up-next';

// because_of of consecutive items is mostly the same id: encode it once per run.
let lastBecause: string | undefined;
let lastBecauseJson = '';
function becauseJsonOf(id: string | undefined): string {
  if (id === undefined) return '';
  if (id !== lastBecause) {
    lastBecause = id;
    lastBecauseJson = `,"because_of":${JSON.stringify(id)}`;
  }
  return lastBecauseJson;
}

/** The catalog and fresh titles a response's items come from. */
export interface TitleSource {
  items: readonly TitleFields[];
  heads?: ItemHeads | null;
  fresh: (movieId: string) => TitleFields | undefined;
}

export interface RowsPage {
  user_id: string;
  model_version: string;
  source: RowsSource;
  variant: string;
  rows: readonly PlannedRow[];
}

/** A screen as JSON bytes: equal to Buffer.from(JSON.stringify(response with rows.map(rowOf))). */
export function encodeRowsPage(p: RowsPage, t: TitleSource): Buffer {
  begin();
  utf8(`{"user_id":${JSON.stringify(p.user_id)},"model_version":${JSON.stringify(p.model_version)},"source":${JSON.stringify(p.source)},"variant":${JSON.stringify(p.variant)},"rows":[`);
  for (let r = 0; r < p.rows.length; r++) {
    const row = p.rows[r];
    if (r > 0) ascii(',');
    utf8(`{"kind":"${row.kind}","title":${JSON.stringify(row.title)},`);
    if (row.because_of !== undefined) utf8(`"because_of":${JSON.stringify(row.because_of)},`);
    if (row.genre !== undefined) utf8(`"genre":${JSON.stringify(row.genre)},`);
    ascii('"items":[');
    for (let j = 0; j < row.items.length; j++) {
      const c = row.items[j];
      if (j > 0) ascii(',');
      // A candidate with an item index is that catalog title (every list, scan and fresh pick makes them so).
      if (!headOf(t.heads, c.itemIndex)) {
        const f = c.itemIndex >= 0 ? t.items[c.itemIndex] : t.fresh(c.movieId);
        utf8(itemHead({ movie_id: c.movieId, title: f?.title ?? '', genres: f?.genres ?? [] }));
      }
      tail(c.score, c.reason, becauseJsonOf(itemBecause(row, j)));
    }
    ascii(']}');
  }
  ascii(']}');
  return take();
}

export interface UpNextPage {
  user_id: string;
  movie_id: string;
  model_version: string;
  plan: UpNextPlan;
}

/** An up-next answer as JSON bytes: equal to Buffer.from(JSON.stringify(upNextResponse(…))). */
export function encodeUpNextPage(p: UpNextPage, t: Pick<TitleSource, 'items' | 'heads'>): Buffer {
  begin();
  utf8(`{"user_id":${JSON.stringify(p.user_id)},"movie_id":${JSON.stringify(p.movie_id)},"model_version":${JSON.stringify(p.model_version)},"source":"${p.plan.source}","items":[`);
  const because = p.plan.because ? `,"because_of":${JSON.stringify(p.movie_id)}` : '';
  const picks = p.plan.picks;
  for (let j = 0; j < picks.length; j++) {
    if (j > 0) ascii(',');
    if (!headOf(t.heads, picks[j].itemIndex)) utf8(itemHead(t.items[picks[j].itemIndex]));
    tail(picks[j].score, picks[j].reason, because);
  }
  ascii(']}');
  return take();
}

/** What an impression slate says besides its items. */
export interface SlateFields {
  event_id: string;
  user_id: string;
  ts: string;
  surface: string;
  feed_source: string;
  variant: string;
  model_version: string;
}

/**
 * An impression slate's JSON around its ids (api/feed-json.ts pushSlate writes them between):
 * together equal to JSON.stringify({ event_id, user_id, event_type: 'impression', ts, surface,
 * feed_source, variant, model_version, offset: 0, items, because_of }) (no because_of key when it is undefined).
 */
export function slateHead(f: SlateFields): string {
  return `{"event_id":${JSON.stringify(f.event_id)},"user_id":${JSON.stringify(f.user_id)},"event_type":"impression","ts":${JSON.stringify(f.ts)},"surface":${JSON.stringify(f.surface)},"feed_source":${JSON.stringify(f.feed_source)},"variant":${JSON.stringify(f.variant)},"model_version":${JSON.stringify(f.model_version)},"offset":0,"items":[`;
}

export function slateAfter(becauseOf: string | undefined): string {
  return becauseOf !== undefined ? `],"because_of":${JSON.stringify(becauseOf)}}` : ']}';
}
