/** store: the SQLite state of a state dir (objects, events, metadata), its migrations and its one-writer lock. */
export * from './types.js';
export * from './store.js';
export * from './secret-key.js';
