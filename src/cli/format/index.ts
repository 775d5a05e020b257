/** kubectl-faithful text formatting for the mflux CLI (pure functions; `now` is always passed in). */

export { tabulate, tabwrite, GET_TABWRITER, DESCRIBE_TABWRITER, type TabwriterOptions } from './tabwriter.js';
export { humanDuration, age, rfc1123z, GO_ZERO_TIME_RFC1123Z } from './duration.js';
export { selectorString, formatLabelSelector, formatLabels, type LabelSelector } from './labels.js';
export { formatTable, formatEndpoints, tableColumns, noResourcesMessage, resolveKind, podSummary, eventObject, type TableOptions, type TableColumn, type PodSummary } from './get.js';
export {
  describeDaemonSet,
  describeDeployment,
  describeStatefulSet,
  podCounts,
  type PodCounts,
  describeGeneric,
  describeJob,
  describeService,
  formatEndpointSlices,
  describePodTemplate,
  eventInterval,
  findNewReplicaSet,
  findOldReplicaSets,
  smartLabelFor,
  type DescribeOptions,
} from './describe.js';
export { formatRevisionHistory, formatRolloutHistory, rsRevision } from './rollout.js';
export { toList, type KubeList } from './list.js';
