export * from './apply.js';
export * from './serving.js';
