// Content → factor model for cold titles, in three parts: features (title → feature row),
// network (training and embedding) and evaluation (held-out warm titles). Saved models are
// read and written by storage/tf-models.ts.
export * from './features';
export * from './network';
export * from './evaluation';
