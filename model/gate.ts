// The release gate: a candidate ships only if it beats popularity by a margin and does not fall
// below the live model's recipe (retrained on the same window) by more than a tolerance, both on
// the same holdout and the same metric.

export interface GateInput {
  metric: string; // e.g. 'ndcg_10'
  candidate: number;
  popularity: number;
  live: number | null; // null when nothing is live yet
}

export interface GateConfig {
  minLiftOverPopularity: number; // candidate ≥ popularity × (1 + this)
  maxRegressionVsLive: number; // candidate ≥ live × (1 − this)
}

export interface GateDecision extends GateInput {
  passed: boolean;
  reason: string;
  popularityThreshold: number;
  liveThreshold: number | null;
}

export function decideGate(input: GateInput, cfg: GateConfig): GateDecision {
  const popularityThreshold = input.popularity * (1 + cfg.minLiftOverPopularity);
  const liveThreshold = input.live === null ? null : input.live * (1 - cfg.maxRegressionVsLive);
  const fmt = (x: number) => x.toFixed(4);
  let passed = true;
  let reason: string;
  if (!Number.isFinite(input.candidate)) {
    passed = false;
    reason = `candidate ${input.metric} is not a number`;
  } else if (!(input.candidate >= popularityThreshold) || input.candidate <= 0) {
    passed = false;
    reason = `candidate ${input.metric} ${fmt(input.candidate)} does not beat popularity ${fmt(input.popularity)} by ${(cfg.minLiftOverPopularity * 100).toFixed(1)}% (needs ≥ ${fmt(popularityThreshold)})`;
  } else if (liveThreshold !== null && input.candidate < liveThreshold) {
    passed = false;
    reason = `candidate ${input.metric} ${fmt(input.candidate)} regresses against live ${fmt(input.live!)} by more than ${(cfg.maxRegressionVsLive * 100).toFixed(1)}% (needs ≥ ${fmt(liveThreshold)})`;
  } else {
    reason = `candidate ${input.metric} ${fmt(input.candidate)} ≥ popularity threshold ${fmt(popularityThreshold)}` + (liveThreshold === null ? ' (no live model)' : ` and ≥ live threshold ${fmt(liveThreshold)}`);
  }
  return { ...input, passed, reason, popularityThreshold, liveThreshold };
}
