/** render: files at a commit → rendered documents with origins (a native kustomize build, or Flux's rule for a plain folder). */
export * from './types.js';
export { renderKustomization, splitImage, joinPath, KUSTOMIZATION_FILE_NAMES } from './kustomize.js';
export { nameSuffixHash, goJSON, encodeHash } from './hash.js';
export { strategicMerge } from './smp.js';
export { parseYamlDocuments } from './yaml.js';
