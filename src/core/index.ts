/** core: the bottom of the module map; imports nothing else from mini-flux. */
export * from './object.js';
export * from './kinds.js';
export * from './errors.js';
export * from './clock.js';
export * from './logger.js';
export * from './secret.js';
