/** check: the pre-merge check (`mflux check`) — base seeded into a simulated cluster, head planned, guarded, applied and its rollouts measured — and its reports. */
export * from './report.js';
export * from './policy.js';
export * from './measure.js';
export * from './check.js';
export * from './render.js';
export * from './serving.js';
