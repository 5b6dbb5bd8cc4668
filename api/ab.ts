// A/B assignment: a user's id hashes (FNV-1a 32, salted) into one of AB_BUCKETS buckets; the
// configuration maps half-open bucket ranges to variants. Stable across processes and restarts.
import { z } from 'zod';

export interface BlendOverrides {
  /** 1-based feed positions of the exploration slots, replacing FEED_EXPLORATION_SLOTS. */
  explorationSlots?: number[];
  /** The re-rank knobs (FEED_DIVERSITY, FEED_GENRE_CAP, FEED_FRESHNESS_BOOST) for this variant. */
  diversity?: number;
  genreCap?: number;
  freshness?: number;
}

export interface Variant {
  name: string;
  buckets: [number, number]; // [from, to)
  blend?: BlendOverrides;
}

/** Served to users whose bucket no configured variant covers. */
export const DEFAULT_VARIANT: Variant = { name: 'default', buckets: [0, 0] };

const variantSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'variant names are 1–40 of A–Z a–z 0–9 _ -'),
  buckets: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  blend: z
    .strictObject({
      explorationSlots: z.array(z.number().int().min(1).max(500)).max(50).optional(),
      diversity: z.number().min(0).max(1).optional(),
      genreCap: z.number().int().min(0).max(100).optional(),
      freshness: z.number().min(0).max(10).optional(),
    })
    .optional(),
});

/** Parse AB_VARIANTS (JSON) against AB_BUCKETS; throws RangeError on overlap, bad ranges or duplicate names. */
export function parseVariants(json: string, nBuckets: number): Variant[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new RangeError(`AB_VARIANTS is not JSON: ${(e as Error).message}`);
  }
  const r = z.array(variantSchema).max(100).safeParse(raw);
  if (!r.success) throw new RangeError(`AB_VARIANTS: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const variants = r.data as Variant[];
  const names = new Set<string>();
  for (const v of variants) {
    const [from, to] = v.buckets;
    if (!(from < to && to <= nBuckets)) throw new RangeError(`AB_VARIANTS: ${v.name} buckets [${from},${to}) must satisfy from < to ≤ ${nBuckets}`);
    if (names.has(v.name) || v.name === DEFAULT_VARIANT.name) throw new RangeError(`AB_VARIANTS: duplicate or reserved name ${v.name}`);
    names.add(v.name);
  }
  const sorted = [...variants].sort((a, b) => a.buckets[0] - b.buckets[0]);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].buckets[0] < sorted[i - 1].buckets[1]) throw new RangeError(`AB_VARIANTS: ${sorted[i - 1].name} and ${sorted[i].name} overlap`);
  return variants;
}

/** FNV-1a (32 bit) of `salt:userId`, reduced to a bucket in [0, nBuckets). */
export function bucketOf(userId: string, salt: string, nBuckets: number): number {
  let h = 0x811c9dc5;
  const s = `${salt}:${userId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % nBuckets;
}

/** Bucket → variant table, built once. */
export class VariantAssigner {
  private readonly table: Variant[];

  constructor(
    readonly variants: Variant[],
    private readonly salt: string,
    private readonly nBuckets: number,
  ) {
    this.table = new Array<Variant>(nBuckets).fill(DEFAULT_VARIANT);
    for (const v of variants) for (let b = v.buckets[0]; b < v.buckets[1]; b++) this.table[b] = v;
  }

  assign(userId: string): Variant {
    return this.table[bucketOf(userId, this.salt, this.nBuckets)];
  }
}
