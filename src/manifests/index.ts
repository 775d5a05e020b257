/** manifests: pure parsing, defaulting and validation of Kubernetes manifests. */
export * from './intstr.js';
export * from './defaults.js';
export * from './validation.js';
export * from './names.js';
export * from './parse.js';
export * from './limits.js';
export { SelectorError, parseLabelSelector } from './selectors.js';
