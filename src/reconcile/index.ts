export * from './reconcile.js';
export * from './phases.js';
export * from './memo.js';
export * from './read.js';
export * from './rollback.js';
export * from './trace.js';
export * from './render.js';
