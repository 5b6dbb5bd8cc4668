// Held-out rows for early stopping and the scores computed on them: a seeded split by user
// (model/ranker.ts, validation loss) and ROC AUC / log loss of predicted probabilities.
import { fmix32 } from './random';

/**
 * Split rows by group (user): group g is in validation iff u(g) < fraction, where
 * u(g) = fmix32(g ⊕ fmix32(seed)) / 2³². A user's side depends only on (user, seed), not on which
 * other users are present. If that leaves one side empty while there are ≥ 2 groups, the group
 * with the smallest (largest) u moves over, so both sides are non-empty whenever possible.
 */
export function splitByGroup(groups: Int32Array, fraction: number, seed: number): { trainRows: Int32Array; validRows: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  const n = groups.length;
  const salt = fmix32(seed ^ 0x9e3779b9);
  const cut = fraction * 4294967296;
  const u = new Float64Array(n);
  let nValid = 0;
  let minU = Infinity, maxU = -Infinity, minG = 0, maxG = 0;
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    const h = fmix32((g ^ salt) >>> 0);
    u[i] = h;
    if (h < cut) nValid++;
    if (h < minU) { minU = h; minG = g; }
    if (h > maxU) { maxU = h; maxG = g; }
  }
  const severalGroups = n > 0 && minG !== maxG;
  let forceValid = -1, forceTrain = -1;
  if (fraction > 0 && nValid === 0 && severalGroups) forceValid = minG;
  if (nValid === n && severalGroups) forceTrain = maxG;
  const isValid = (i: number) => (groups[i] === forceValid ? true : groups[i] === forceTrain ? false : u[i] < cut);
  let v = 0;
  for (let i = 0; i < n; i++) if (isValid(i)) v++;
  const trainRows = new Int32Array(n - v);
  const validRows = new Int32Array(v);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isValid(i)) validRows[b++] = i;
    else trainRows[a++] = i;
  }
  return { trainRows, validRows };
}

/** ROC AUC by the Mann–Whitney rank statistic (tied scores share their mean rank). NaN if one class is absent. */
export function rocAuc(scores: Float32Array, labels: Float32Array): number {
  const n = scores.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]] >= 0.5) {
        nPos++;
        rankSumPos += meanRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean binary cross-entropy of probabilities p against labels y in [0, 1], p clipped to [ε, 1 − ε]. */
export function logLoss(p: Float32Array, y: Float32Array, eps = 1e-7): number {
  if (p.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]));
    s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  }
  return s / p.length;
}
