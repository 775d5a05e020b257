/** What every simulated controller is handed: the API server, the time, an event recorder and a timer queue. */
import type { KubeObject } from '../../../core/index.js';
import type { ApiServer } from '../apiserver.js';

/**
 * EventWording picks which release's ScalingReplicaSet text to print: "article" (≤ v1.2x and the
 * seed article: "Scaled up replica set X to 3"), "v1.28" ("to 3 from 1"), "v1.32" ("from 1 to 3").
 */
export type EventWording = 'article' | 'v1.28' | 'v1.32';

/** RequeueController names the controllers that can ask for a later sync. */
export type RequeueController = 'deployment' | 'replicaset' | 'job' | 'cronjob' | 'ttl' | 'statefulset' | 'daemonset' | 'hpa';

/** ControllerContext is the world a controller sync sees. */
export interface ControllerContext {
  api: ApiServer;
  /** now is the cluster clock in epoch ms. */
  now(): number;
  /** nowStr is now() as an RFC 3339 timestamp (second precision, as the API stores it). */
  nowStr(): string;
  /** record emits an Event about an object. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void;
  /** requeueAt asks for another sync of `key` by `controller` at cluster time `at`. */
  requeueAt(controller: RequeueController, key: string, at: number): void;
  eventWording: EventWording;
}
