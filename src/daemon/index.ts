export * from './config.js';
export * from './daemon.js';
export * from './metrics.js';
export * from './scheduler.js';
export * from './webhook.js';
