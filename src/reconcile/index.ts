export * from './reconcile.js';
export * from './read.js';
