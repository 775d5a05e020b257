/** plan: pure planning — diff desired against live, decide per object, describe the change. */
export * from './plan.js';
export * from './diff.js';
export * from './guard.js';
