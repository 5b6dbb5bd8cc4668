// Every workflow the worker registers.
export { retrain } from './retrain';
export { rollback } from './rollback';
