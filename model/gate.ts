// The release policy, in one place: paired per-user comparisons on the gate's holdout, each
// decided on the 95 % interval of its relative lift, then one release decision. Activities,
// the CLI and the benchmarks call these functions; none re-implements them.
//
// Checks (per-user NDCG@10, paired bootstrap over users, model/bootstrap.ts):
//   vs popularity   superiority: pass when the lift's lower bound > minLiftOverPopularity; fail when
//                   its upper bound < that; otherwise inconclusive (too few users to tell).
//   vs live         non-regression, against the live version's factors (on the holdout watches after
//                   its data clock: leak-free) and against its recipe retrained on this run's data:
//                   fail when the lift's upper bound < −maxRegressionVsLive (worse than live by more
//                   than the tolerance, with 95 % confidence); pass when the lower bound ≥ −tolerance;
//                   otherwise inconclusive. Only evidence of a regression blocks a release: the
//                   leak-free sample of daily retrains is small, and demanding proof of
//                   non-inferiority there would freeze releases.
//   ranked vs retrieval  the ranked list ships only when the lift's lower bound > 0; it then must
//                   not hide a broken retrieval model, whose factors ship too (fold-in, similar
//                   titles, fresh titles): the retrieval order alone must also beat popularity.
// Release (decideRelease): pass → publish; fail or inconclusive with a live version → keep live;
// no live version and fail or inconclusive → publish a baseline version (popularity), so a
// feed is never empty.
import { pairedComparison, type BootstrapOptions, type PairedComparison } from './bootstrap';
import type { LightStrategy } from './types';

export type Outcome = 'pass' | 'fail' | 'inconclusive';

export interface GateConfig {
  /** vs popularity: the lift's lower bound must exceed this (0 = significantly better). */
  minLiftOverPopularity: number;
  /** vs live: a lift whose upper bound is below −this is a regression. */
  maxRegressionVsLive: number;
  bootstrap: BootstrapOptions;
}

export interface Check extends PairedComparison {
  name: 'vs_popularity' | 'vs_live' | 'ranked_vs_retrieval' | string;
  metric: string;
  outcome: Outcome;
  /** One line that names the numbers. */
  reason: string;
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : String(x));

/** "0.1234 vs 0.1000 (+23.4%, 95% CI [+10.2%, +35.0%], n=812)" */
export function describeComparison(c: PairedComparison, aName: string, bName: string): string {
  return `${aName} ${f4(c.a)} vs ${bName} ${f4(c.b)} (${pct(c.lift)}, 95% CI [${pct(c.liftLo)}, ${pct(c.liftHi)}], n=${c.n})`;
}

function compare(name: string, a: Float64Array, b: Float64Array, o: BootstrapOptions): PairedComparison & { name: string } {
  return { name, ...pairedComparison(a, b, o) };
}

/** Superiority of a over b: pass when the lift's lower bound > margin, fail when its upper bound < margin. */
export function superiority(name: string, metric: string, a: Float64Array, b: Float64Array, margin: number, o: BootstrapOptions, names: [string, string]): Check {
  const c = compare(name, a, b, o);
  const outcome: Outcome = c.n === 0 ? 'inconclusive' : c.liftLo > margin ? 'pass' : c.liftHi < margin ? 'fail' : 'inconclusive';
  const needs = margin === 0 ? 'a lift above 0' : `a lift above ${pct(margin)}`;
  const reason = c.n === 0 ? `no users to compare ${names[0]} with ${names[1]}` : `${describeComparison(c, ...names)}: ${outcome === 'pass' ? `beats ${needs}` : outcome === 'fail' ? `does not reach ${needs}` : `cannot tell whether it reaches ${needs}`}`;
  return { ...c, metric, outcome, reason };
}

/** Non-regression of a against b within `tolerance` (relative). */
export function nonRegression(name: string, metric: string, a: Float64Array, b: Float64Array, tolerance: number, o: BootstrapOptions, names: [string, string]): Check {
  const c = compare(name, a, b, o);
  const outcome: Outcome = c.n === 0 ? 'inconclusive' : c.liftHi < -tolerance ? 'fail' : c.liftLo >= -tolerance ? 'pass' : 'inconclusive';
  const reason =
    c.n === 0
      ? `no users to compare ${names[0]} with ${names[1]}`
      : `${describeComparison(c, ...names)}: ${outcome === 'fail' ? `regresses by more than ${(tolerance * 100).toFixed(1)}%` : outcome === 'pass' ? `no regression beyond ${(tolerance * 100).toFixed(1)}%` : `no evidence of a regression beyond ${(tolerance * 100).toFixed(1)}%`}`;
  return { ...c, metric, outcome, reason };
}

export interface GateDecision {
  outcome: Outcome;
  /** One line naming the deciding numbers: every failed check, or the inconclusive one, or all that passed. */
  reason: string;
  checks: Check[];
}

/**
 * Combine the checks: any fail → fail; a required check (vs popularity) inconclusive →
 * inconclusive; else pass. vs live inconclusive does not block (see the header); it is reported.
 */
export function decideGate(vsPopularity: Check | Check[], vsLive: Check[] = []): GateDecision {
  // Required checks (must pass): the shipped list vs popularity and, when the ranker's order ships,
  // the retrieval order alone vs popularity too. The live checks block only on a fail.
  const required = Array.isArray(vsPopularity) ? vsPopularity : [vsPopularity];
  const checks = [...required, ...vsLive];
  const failed = checks.filter((c) => c.outcome === 'fail');
  const unsure = required.filter((c) => c.outcome === 'inconclusive');
  const outcome: Outcome = failed.length ? 'fail' : unsure.length ? 'inconclusive' : 'pass';
  const named = (cs: Check[]) => cs.map((c) => `${c.name.replace(/_/g, ' ')}: ${c.reason}`).join('; ');
  const reason = `${outcome}: ${named(failed.length ? failed : unsure.length ? unsure : checks)}`;
  return { outcome, reason, checks };
}

export type ReleaseAction = 'publish' | 'keep_live' | 'publish_baseline';

export interface ReleaseDecision {
  action: ReleaseAction;
  reason: string;
}

/** The release policy (see the header). `liveVersion` null = nothing is live. */
export function decideRelease(gate: GateDecision, liveVersion: string | null): ReleaseDecision {
  if (gate.outcome === 'pass') return { action: 'publish', reason: `published: ${gate.reason}` };
  if (liveVersion) return { action: 'keep_live', reason: `kept live ${liveVersion}: ${gate.reason}` };
  return { action: 'publish_baseline', reason: `baseline published (no live version, gate ${gate.outcome}): ${gate.reason}` };
}

/** Which list order ships: the ranked list only when it beats the retrieval order. */
export function decideRanker(rankedVsRetrieval: Check | null, why?: string): { ranked: boolean; reason: string } {
  if (!rankedVsRetrieval) return { ranked: false, reason: `ranker off: ${why ?? 'not trained'}` };
  if (rankedVsRetrieval.outcome === 'pass') return { ranked: true, reason: `ranker on: ${rankedVsRetrieval.reason}` };
  return { ranked: false, reason: `ranker off: ${rankedVsRetrieval.reason}` };
}

/**
 * The light-user strategy: on the light users of the gate holdout, each baseline is compared with
 * the model's list (paired); a baseline replaces the model for light users only when it is
 * significantly better (lift lower bound > 0), the best such one by point estimate. Series are
 * per evaluated user, aligned with `light` (1 = light user with ≥ 1 training positive).
 */
export function decideLightStrategy(model: Float64Array, baselines: Partial<Record<Exclude<LightStrategy, 'model'>, Float64Array>>, light: Uint8Array, o: BootstrapOptions): { strategy: LightStrategy; reason: string; checks: Check[] } {
  const pos: number[] = [];
  for (let j = 0; j < light.length; j++) if (light[j]) pos.push(j);
  const sub = (x: Float64Array) => Float64Array.from(pos, (j) => x[j]);
  const m = sub(model);
  const checks = Object.entries(baselines).map(([name, x]) => superiority(`light_${name}_vs_model`, 'ndcg_10', sub(x!), m, 0, o, [name, 'model']));
  const winners = checks.filter((c) => c.outcome === 'pass').sort((a, b) => b.lift - a.lift);
  if (winners.length === 0) return { strategy: 'model', reason: `light users (n=${pos.length}) keep the model's list: ${checks.map((c) => c.reason).join('; ') || 'no baseline compared'}`, checks };
  const best = winners[0];
  const strategy = best.name.replace(/^light_|_vs_model$/g, '') as LightStrategy;
  return { strategy, reason: `light users (n=${pos.length}) get ${strategy}: ${best.reason}`, checks };
}
