// Content features of a title for the content → factor model (model/content/network.ts).
//
// Features (one dense Float32 row per title, layout fixed by the vocabulary):
//   [ genres multi-hot (vocabulary of the training titles) | unknown-genre flag
//   | year z-score | year missing | year bucket one-hot (yearBucketYears wide, clamped to the training range)
//   | log-duration z-score | duration missing
//   | tags hashed into tagBuckets | title words hashed into wordBuckets ]
// Feature hashing (Weinberger et al. 2009, signed): h = fmix32(FNV-1a-32(UTF-8 of "<ns>:" + token)),
// bucket = h mod B, sign = +1 if bit 31 of h is 0 else −1. Each hashed block is L2-normalised so
// a title with 40 tags does not outweigh its genres. Tokens: NFKC, lower case; tags are whole
// (whitespace collapsed), title words are runs of letters/digits minus a few English stopwords.
import { fmix32 } from '../ranker';
import type { Title } from '../types';

export interface ContentFeatureConfig {
  /** Hash buckets for tags. Default 256. */
  tagBuckets: number;
  /** Hash buckets for title words. Default 128. */
  wordBuckets: number;
  /** Width of a year bucket in years. Default 5. */
  yearBucketYears: number;
  /** A genre enters the vocabulary if at least this many training titles carry it. Default 1. */
  genreMinCount: number;
}
export const DEFAULT_FEATURE_CONFIG: Readonly<ContentFeatureConfig> = Object.freeze({
  tagBuckets: 256,
  wordBuckets: 128,
  yearBucketYears: 5,
  genreMinCount: 1,
});

/** Everything featurization needs, learned from the training titles and saved with the model. */
export interface ContentVocabulary {
  genres: string[]; // sorted, normalised
  /** Training year range / moments; NaN when no training title had a year. */
  yearMin: number;
  yearMax: number;
  yearMean: number;
  yearStd: number;
  logDurationMean: number;
  logDurationStd: number;
  tagBuckets: number;
  wordBuckets: number;
  yearBucketYears: number;
}
// ---------------------------------------------------------------------------------------------
// Featurization (pure JS).

const STOPWORDS = new Set(['the', 'a', 'an', 'of', 'and', 'in', 'on', 'to', 'for', 'at', 'by', 'with', 'from', 'le', 'la', 'les', 'de', 'el', 'der', 'die', 'das']);
const utf8 = new TextEncoder();

/** FNV-1a 32-bit over the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const bytes = utf8.encode(s);
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Signed feature hash of a token in a namespace: bucket in [0, buckets), sign ±1. */
export function hashToken(namespace: string, token: string, buckets: number): { bucket: number; sign: 1 | -1 } {
  const h = fmix32(fnv1a32(`${namespace}:${token}`));
  return { bucket: h % buckets, sign: h >>> 31 ? -1 : 1 };
}

const normText = (s: string) => s.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');

/** Title words as hashed: runs of letters/digits, lower case, no 1-letter tokens or stopwords. */
export function titleWords(title: string): string[] {
  const words = title.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => (w.length > 1 || /\d/.test(w)) && !STOPWORDS.has(w)))];
}

export function resolveFeatureConfig(cfg: Partial<ContentFeatureConfig>): ContentFeatureConfig {
  const c = {
    tagBuckets: cfg.tagBuckets ?? DEFAULT_FEATURE_CONFIG.tagBuckets,
    wordBuckets: cfg.wordBuckets ?? DEFAULT_FEATURE_CONFIG.wordBuckets,
    yearBucketYears: cfg.yearBucketYears ?? DEFAULT_FEATURE_CONFIG.yearBucketYears,
    genreMinCount: cfg.genreMinCount ?? DEFAULT_FEATURE_CONFIG.genreMinCount,
  };
  for (const [name, v] of Object.entries(c)) {
    const min = name === 'tagBuckets' || name === 'wordBuckets' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`content config ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return c;
}

/** Learn the genre vocabulary and the year/duration ranges from the training titles. */
export function buildContentVocabulary(titles: Title[], cfg: Partial<ContentFeatureConfig> = {}): ContentVocabulary {
  const c = resolveFeatureConfig(cfg);
  const counts = new Map<string, number>();
  let yN = 0, yS = 0, yS2 = 0, yMin = Infinity, yMax = -Infinity;
  let dN = 0, dS = 0, dS2 = 0;
  for (const t of titles) {
    for (const g of new Set(t.genres.map(normText))) if (g) counts.set(g, (counts.get(g) ?? 0) + 1);
    if (t.year != null && Number.isFinite(t.year)) {
      yN++;
      yS += t.year;
      yS2 += t.year * t.year;
      yMin = Math.min(yMin, t.year);
      yMax = Math.max(yMax, t.year);
    }
    if (t.duration_seconds != null && t.duration_seconds > 0) {
      const l = Math.log(t.duration_seconds);
      dN++;
      dS += l;
      dS2 += l * l;
    }
  }
  const genres = [...counts].filter(([, n]) => n >= c.genreMinCount).map(([g]) => g).sort();
  const yearMean = yN ? yS / yN : NaN;
  const logDurationMean = dN ? dS / dN : NaN;
  return {
    genres,
    yearMin: yN ? yMin : NaN,
    yearMax: yN ? yMax : NaN,
    yearMean,
    yearStd: yN ? Math.sqrt(Math.max(yS2 / yN - yearMean * yearMean, 0)) || 1 : NaN,
    logDurationMean,
    logDurationStd: dN ? Math.sqrt(Math.max(dS2 / dN - logDurationMean * logDurationMean, 0)) || 1 : NaN,
    tagBuckets: c.tagBuckets,
    wordBuckets: c.wordBuckets,
    yearBucketYears: c.yearBucketYears,
  };
}

/** Offsets of each block in a feature row (see the file header). */
export interface Layout {
  dim: number;
  genre: Map<string, number>;
  unknownGenre: number;
  yearZ: number;
  yearMissing: number;
  yearBuckets: number; // offset of the one-hot block
  nYearBuckets: number;
  firstBucketYear: number;
  durationZ: number;
  durationMissing: number;
  tags: number;
  words: number;
}

export function layoutOf(v: ContentVocabulary): Layout {
  const genre = new Map(v.genres.map((g, i) => [g, i] as const));
  let o = v.genres.length;
  const unknownGenre = o++;
  const yearZ = o++;
  const yearMissing = o++;
  const w = v.yearBucketYears;
  const firstBucketYear = Number.isFinite(v.yearMin) ? Math.floor(v.yearMin / w) * w : 0;
  const nYearBuckets = Number.isFinite(v.yearMin) ? Math.floor(v.yearMax / w) - Math.floor(v.yearMin / w) + 1 : 0;
  const yearBuckets = o;
  o += nYearBuckets;
  const durationZ = o++;
  const durationMissing = o++;
  const tags = o;
  o += v.tagBuckets;
  const words = o;
  o += v.wordBuckets;
  return { dim: o, genre, unknownGenre, yearZ, yearMissing, yearBuckets, nYearBuckets, firstBucketYear, durationZ, durationMissing, tags, words };
}

/** Length of one feature row. */
export function contentFeatureDim(vocabulary: ContentVocabulary): number {
  return layoutOf(vocabulary).dim;
}

/** Write title t's features into out[offset .. offset + dim) (which must be zero). */
export function featurizeInto(t: Title, v: ContentVocabulary, L: Layout, out: Float32Array, offset: number): void {
  for (const g of new Set(t.genres.map(normText))) {
    if (!g) continue;
    const j = L.genre.get(g);
    if (j === undefined) out[offset + L.unknownGenre] = 1;
    else out[offset + j] = 1;
  }
  if (t.year != null && Number.isFinite(t.year) && Number.isFinite(v.yearMean)) {
    out[offset + L.yearZ] = Math.max(-5, Math.min(5, (t.year - v.yearMean) / v.yearStd));
    const b = Math.max(0, Math.min(L.nYearBuckets - 1, Math.floor((t.year - L.firstBucketYear) / v.yearBucketYears)));
    out[offset + L.yearBuckets + b] = 1;
  } else {
    out[offset + L.yearMissing] = 1;
  }
  if (t.duration_seconds != null && t.duration_seconds > 0 && Number.isFinite(v.logDurationMean)) {
    out[offset + L.durationZ] = Math.max(-5, Math.min(5, (Math.log(t.duration_seconds) - v.logDurationMean) / v.logDurationStd));
  } else {
    out[offset + L.durationMissing] = 1;
  }
  hashBlock('tag', [...new Set(t.tags.map(normText))].filter(Boolean), v.tagBuckets, out, offset + L.tags);
  hashBlock('word', titleWords(t.title), v.wordBuckets, out, offset + L.words);
}

/** out[o + bucket] += sign for each token, then the block is scaled to unit L2 norm. */
function hashBlock(ns: string, tokens: string[], buckets: number, out: Float32Array, o: number): void {
  if (buckets === 0 || tokens.length === 0) return;
  for (const tok of tokens) {
    const { bucket, sign } = hashToken(ns, tok, buckets);
    out[o + bucket] += sign;
  }
  let s = 0;
  for (let j = 0; j < buckets; j++) s += out[o + j] * out[o + j];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < buckets; j++) out[o + j] *= inv;
  }
}

/** Dense features of the titles: titles.length × contentFeatureDim(vocabulary), row-major. */
export function featurizeTitles(titles: Title[], vocabulary: ContentVocabulary): Float32Array {
  const L = layoutOf(vocabulary);
  const out = new Float32Array(titles.length * L.dim);
  titles.forEach((t, i) => featurizeInto(t, vocabulary, L, out, i * L.dim));
  return out;
}

/** Sparse (CSR) features, so training densifies one batch at a time instead of holding n × dim floats. */
export function featurizeSparse(titles: Title[], v: ContentVocabulary): { indptr: Int32Array; indices: Int32Array; values: Float32Array; dim: number } {
  const L = layoutOf(v);
  const row = new Float32Array(L.dim);
  const idx: number[] = [];
  const val: number[] = [];
  const indptr = new Int32Array(titles.length + 1);
  titles.forEach((t, i) => {
    row.fill(0);
    featurizeInto(t, v, L, row, 0);
    for (let j = 0; j < L.dim; j++) {
      if (row[j] !== 0) {
        idx.push(j);
        val.push(row[j]);
      }
    }
    indptr[i + 1] = idx.length;
  });
  return { indptr, indices: Int32Array.from(idx), values: Float32Array.from(val), dim: L.dim };
}
