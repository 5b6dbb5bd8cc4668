// Every workflow the worker registers.
export { retrain } from './retrain';
export { rollback } from './rollback';
export { drainEvents } from './drain-events';
export { addTitle } from './add-title';
