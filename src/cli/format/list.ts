/** kubectl-style list envelopes for `-o json` / `-o yaml`. */

import type { KubeObject } from '../../core/object.js';

/** KubeList is the `{"apiVersion":"v1","kind":"List",...}` wrapper kubectl prints for several objects. */
export interface KubeList {
  apiVersion: 'v1';
  kind: 'List';
  items: KubeObject[];
  metadata: { resourceVersion: string };
}

/**
 * toList wraps objects the way `kubectl get -o json` does for a listing: kind "List", items in
 * order, empty resourceVersion; keys in kubectl's (alphabetical) order: apiVersion, items, kind, metadata.
 */
export function toList(objs: KubeObject[]): KubeList {
  return { apiVersion: 'v1', items: [...objs], kind: 'List', metadata: { resourceVersion: '' } };
}
