// The synthetic-world generator lives in data/world/ (one file per step, the story in
// data/world/index.ts); this path stays so existing imports keep working.
export * from './world';
