/** kubectl-style list envelopes for `-o json` / `-o yaml`. */

import type { KubeObject } from '../../core/object.js';

/** KubeList is the `{"apiVersion":"v1","kind":"List",...}` wrapper kubectl prints for several objects. */
export interface KubeList {
  apiVersion: 'v1';
  kind: 'List';
  items: KubeObject[];
  metadata: { resourceVersion: string };
}

/** toList wraps objects the way `kubectl get -o json` does for a listing: kind "List", items in order, empty resourceVersion. */
export function toList(objs: KubeObject[]): KubeList {
  return { apiVersion: 'v1', kind: 'List', items: [...objs], metadata: { resourceVersion: '' } };
}
