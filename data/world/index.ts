// Deterministic synthetic world: a catalog, users with latent tastes, and their events, written
// as a world directory (see data/world-dir.ts) plus truth/ with the hidden parameters, so a
// benchmark can rank titles by the true watch propensity (an oracle ceiling).
//
// The generative story (all draws from seeded xoshiro streams; same seed ⇒ same bytes):
//   • 18 genres with unequal prevalence; each genre g has a latent centroid M_g ∈ R^d.
//   • Title i: 1–3 genres G_i, latent traits v_i = mean_{g∈G_i} M_g + noise, a Zipf popularity
//     rank r_i (random order), a duration, a year, tags that follow its latent traits, and
//     added_at: most titles predate the range, the rest arrive spread over its days.
//   • User u: 1–3 favourite genres (plus maybe a disliked one) → genre preferences p_u, a latent
//     taste x_u drawn around the favourite genres' centroids, a small genre drift δ_u over the
//     whole range, a heavy-tailed (lognormal) session rate, an arrival time (most at the start,
//     the rest arriving daily).
//   • Taste fit at time t, standardised over random (user, title) pairs:
//       raw_ui(t) = x_u·v_i + Σ_{g∈G_i} (p_ug + f(t)·δ_ug) / |G_i|,   fit = (raw − μ) / σ
//     with f(t) the elapsed share of the range, stepped once per epoch.
//   • Watch propensity (the oracle's score):
//       logit_ui(t) = tasteWeight·fit_ui(t) − zipfExponent·ln(r_i) + trendBoost·exp(−age_i(t)/τ)
//     Each pick in a session draws a title ∝ exp(logit) among titles already added; a title the
//     user already watched keeps only repeatProb of its weight (occasional rewatches).
//   • Completion = watch_seconds / duration: complete (≥ 0.9) with probability
//     sigmoid(completionSlope·(fit − completionMidpoint)), otherwise an early abandon.
//     ~ratingShare of watches are followed by a rating event whose value rises with fit.
//   • Sessions also hold searches and browses of titles the user is drawn to (some followed by a
//     watch) and a few impressions of popular titles on the home feed.
//   • Session intent (session-intent.ts, its own stream): ~bingeProb of sessions are a binge of one
//     genre — tonight's mood, drawn from the user's own taste — whose home-feed watches are titles
//     of that genre, stretching past the usual session length.
//
// Simulation is per user (its own stream) into compact typed arrays, flushed to DuckDB a block of
// users at a time; DuckDB orders all events by second (ties in simulation order) and event ids
// e1…eN follow that order. At 10^5 titles (the large preset) a block of users draws from a sample
// of the catalog (sample.ts), so memory and time per user stay bounded. Ratings are
// separate `rating` events (watch_seconds empty) a little after the watch they rate.
//
// The defaults are calibrated so that personalisation matters but popularity is a real baseline;
// the measured figures of the demo world (popularity, iALS, the oracle) are in
// bench/results/quality.json (npm run bench:quality).
//
// The files of this folder, in the order a world is made:
//   params.ts    the presets and every knob (WorldParams), the range's end, the genre vocabulary
//   taste.ts     the hidden taste parameters and their fast evaluation (shared with the oracle)
//   catalog.ts   building the catalog, the population and the taste parameters (no I/O)
//   sample.ts    a block of users' sample of a large catalog
//   simulate.ts  every user's sessions into typed arrays, then all events in time order
//   session-intent.ts  genre binges inside sessions (drawn on their own stream)
//   write.ts     generateWorld: movies.csv and events.parquet through DuckDB, truth/, manifest.json
//   oracle.ts    writing truth/ and loading it back as an Oracle
export { DEFAULT_BEHAVIOUR, GENRES, PRESETS, WORLD_END, type CatalogSample, type PresetName, type WorldParams } from './params';
export type { TasteParams } from './taste';
export { generateWorld, type GenerateOptions } from './write';
export { TRUTH_DIR, loadOracle, type Oracle } from './oracle';
