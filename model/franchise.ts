// Franchises from titles alone: "Name 2 (1999)", "Name: Part II", "Name III", "Name 2: Subtitle"
// and MovieLens's "Godfather: Part II, The (1974)" are parts of one franchise with the bare
// "Name" (or "Name 1") as its first part. The synthetic world names its franchises the same way
// (data/world/franchise.ts), so one heuristic serves both and no catalog schema change is needed.
// A franchise needs at least two titles; a lone "Something II" stays a plain title.

/** A title's franchise base (normalised, lower-case) and part number, or null when it names no part. */
export interface SequelName {
  base: string;
  part: number;
}

const ROMAN: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4, v: 5, vi: 6, vii: 7, viii: 8, ix: 9, x: 10 };
const MAX_PART = 12; // "Apollo 13" names no part
// "<base> 2", "<base>: Part II", "<base> - Chapter 3", "<base> Vol. 2": the part closes the title.
const TRAILING_PART = /^(.+?)(?:\s*[:\u2013-]\s*|\s+)(?:(?:part|chapter|episode|vol\.?|volume)\s+)?(\d{1,2}|[ivx]{1,4})$/i;
// "<base> 2: Subtitle", "<base> II - Subtitle".
const PART_THEN_SUBTITLE = /^(.+?)\s+(?:(?:part|chapter|episode|vol\.?|volume)\s+)?(\d{1,2}|[ivx]{1,4})\s*[:\u2013-]\s+\S.*$/i;
const YEAR_SUFFIX = /\s*\(\s*\d{4}(?:\s*[-\u2013]\s*\d{0,4})?\s*\)\s*$/;
const TRAILING_ARTICLE = /^(.*),\s*(the|a|an|les|la|le|l'|il|el|die|der|das)$/i;

/** Lower-case, year suffix off, a trailing ", The" moved to the front, whitespace collapsed. */
export function normaliseTitle(title: string): string {
  let t = title.replace(YEAR_SUFFIX, '').trim();
  const art = TRAILING_ARTICLE.exec(t);
  if (art) t = `${art[2]} ${art[1]}`;
  return t.toLowerCase().replace(/\s+/g, ' ').trim();
}

function partNumber(s: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : (ROMAN[s.toLowerCase()] ?? 0);
  return n >= 1 && n <= MAX_PART ? n : 0;
}

/** The base and part a title names, if any ("Toy Story 2" → {base: "toy story", part: 2}). */
export function parseSequelTitle(title: string): SequelName | null {
  return parseNormalised(normaliseTitle(title));
}

/** parseSequelTitle of a title normaliseTitle already normalised. */
function parseNormalised(t: string): SequelName | null {
  // The article moved to the front can sit after the part ("Godfather: Part II, The"): normalised already.
  for (const re of [TRAILING_PART, PART_THEN_SUBTITLE]) {
    const m = re.exec(t);
    if (!m) continue;
    const part = partNumber(m[2]);
    const base = m[1].replace(/[\s:\u2013-]+$/, '').trim();
    if (part > 0 && base.length >= 2) return { base, part };
  }
  return null;
}

export interface FranchiseIndex {
  /** Per item index: its franchise number, or −1. */
  franchise: Int32Array; // nItems
  /** Per item index: its part number (1-based), 0 when in no franchise. */
  part: Int16Array; // nItems
  /** Per franchise: its item indices, ordered by part, then year, then index. */
  members: number[][];
}

/**
 * Group titles into franchises: titles that name a part ≥ 1 of the same base, plus the bare base
 * title as part 1 — only bases with at least two titles. Same-base, same-part titles (remakes
 * or duplicates) are ordered by year.
 */
export function buildFranchiseIndex(items: ReadonlyArray<{ title: string; year?: number | null }>): FranchiseIndex {
  const b = new FranchiseBuilder(items);
  b.scan(0, items.length);
  return b.finish();
}

/**
 * The same index built in slices of `slice` titles with `await pause()` between them: the API
 * builds it when a version loads, while it serves (two regexes per title: 50–100 ms at 10^5 titles
 * in one piece).
 */
export async function buildFranchiseIndexInSlices(items: ReadonlyArray<{ title: string; year?: number | null }>, pause: () => Promise<void>, slice = 5_000): Promise<FranchiseIndex> {
  const b = new FranchiseBuilder(items);
  for (let from = 0; from < items.length; from += slice) {
    b.scan(from, Math.min(items.length, from + slice));
    await pause();
  }
  return b.finish();
}

class FranchiseBuilder {
  private readonly named = new Map<string, { idx: number; part: number }[]>();
  private readonly norm: string[];

  constructor(private readonly items: ReadonlyArray<{ title: string; year?: number | null }>) {
    this.norm = new Array(items.length);
  }

  /** Titles [from, to): each one's normalised title and the part it names. */
  scan(from: number, to: number): void {
    const { items, named, norm } = this;
    for (let i = from; i < to; i++) {
      norm[i] = normaliseTitle(items[i].title);
      const s = parseNormalised(norm[i]);
      if (!s) continue;
      let g = named.get(s.base);
      if (!g) named.set(s.base, (g = []));
      g.push({ idx: i, part: s.part });
    }
  }

  finish(): FranchiseIndex {
    return groupFranchises(this.items, this.norm, this.named);
  }
}

function groupFranchises(items: ReadonlyArray<{ title: string; year?: number | null }>, norm: readonly string[], named: Map<string, { idx: number; part: number }[]>): FranchiseIndex {
  const n = items.length;
  // The bare base title is part 1 of a franchise whose later parts exist.
  for (let i = 0; i < n; i++) {
    const g = named.get(norm[i]);
    if (g && !g.some((m) => m.idx === i)) g.push({ idx: i, part: 1 });
  }
  const franchise = new Int32Array(n).fill(-1);
  const part = new Int16Array(n);
  const members: number[][] = [];
  for (const g of named.values()) {
    if (g.length < 2 || !g.some((m) => m.part >= 2)) continue;
    g.sort((a, b) => a.part - b.part || (items[a.idx].year ?? 0) - (items[b.idx].year ?? 0) || a.idx - b.idx);
    const f = members.length;
    members.push(g.map((m) => m.idx));
    for (const m of g) {
      franchise[m.idx] = f;
      part[m.idx] = m.part;
    }
  }
  return { franchise, part, members };
}

/**
 * What to play after finishing item `idx` in its franchise: the accepted members with a later part
 * (the sequel first), then the accepted earlier parts (a prequel the user skipped), in part order.
 */
export function franchiseNext(ix: FranchiseIndex, idx: number, accept: (idx: number) => boolean): number[] {
  const f = idx >= 0 && idx < ix.franchise.length ? ix.franchise[idx] : -1;
  if (f < 0) return [];
  const p = ix.part[idx];
  const later: number[] = [];
  const earlier: number[] = [];
  for (const j of ix.members[f]) {
    if (j === idx || !accept(j)) continue;
    if (ix.part[j] > p) later.push(j);
    else if (ix.part[j] < p) earlier.push(j);
  }
  return [...later, ...earlier];
}
