/** Field selectors as the API server has them: which labels each kind accepts, how they read an object, and upstream's refusal texts. */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { SelectorError, fieldLabels, parseFieldSelector } from '../../src/cli/serve/selectors.js';

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [] }, ...extra }) as unknown as KubeObject;

const running = pod('a', { spec: { nodeName: 'node-1', containers: [] }, status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] } });
const pending = pod('b', { status: { phase: 'Pending' } });

function refusal(text: string, kind: string, group = ''): string {
  try {
    parseFieldSelector(text, kind, group);
  } catch (err) {
    expect(err).toBeInstanceOf(SelectorError);
    return (err as Error).message;
  }
  throw new Error(`${kind}: "${text}" was accepted`);
}

describe('field selectors', () => {
  test('pods: spec.nodeName and status.phase (what kubectl describe node and kubectl get --field-selector use) select', () => {
    const pods = [running, pending];
    const pick = (sel: string) => pods.filter(parseFieldSelector(sel, 'Pod')).map((p) => p.metadata.name);
    expect(pick('status.phase=Running')).toEqual(['a']);
    expect(pick('status.phase!=Running')).toEqual(['b']);
    expect(pick('spec.nodeName=node-1,status.phase=Running')).toEqual(['a']);
    expect(pick('spec.nodeName==node-1')).toEqual(['a']);
    // An unscheduled pod has nodeName "", as upstream's selectable fields say.
    expect(pick('spec.nodeName=')).toEqual(['b']);
    expect(pick('spec.host=node-1')).toEqual(['a']);
    expect(pick('status.podIP=10.0.0.7')).toEqual(['a']);
    // Defaults the API server stores on create.
    expect(pick('spec.restartPolicy=Always,spec.schedulerName=default-scheduler,spec.hostNetwork=false')).toEqual(['a', 'b']);
    expect(pick('metadata.name=b,metadata.namespace=default')).toEqual(['b']);
    expect(pick('')).toEqual(['a', 'b']);
  });

  test('an unsupported label is refused with the API server\'s own text for that kind', () => {
    expect(refusal('foo=bar', 'Pod')).toBe('field label not supported: foo');
    expect(refusal('status.hostIP=1.2.3.4', 'Pod')).toBe('field label not supported: status.hostIP');
    expect(refusal('reasonx=1', 'Event')).toBe('field label not supported: reasonx');
    // Kinds without a conversion of their own (apps/v1, ConfigMap) fall back to apimachinery's default.
    expect(refusal('foo.bar=baz', 'Deployment', 'apps')).toBe('"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(refusal('spec.replicas=3', 'ReplicaSet', 'apps')).toBe('"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(refusal('data=1', 'ConfigMap')).toBe('"data" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(refusal('x=1', 'Job', 'batch')).toBe('field label "x" not supported for Job');
    // Cluster-scoped core kinds do not accept metadata.namespace.
    expect(refusal('metadata.namespace=x', 'Namespace')).toBe('field label not supported: metadata.namespace');
    // A custom kind named Pod in another group is not core's Pod.
    expect(refusal('status.phase=Running', 'Pod', 'example.com')).toBe('"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"');
    // No prototype keys sneak in as labels.
    expect(refusal('constructor=x', 'Pod')).toBe('field label not supported: constructor');
    expect(refusal('nonsense', 'Pod')).toBe("invalid selector: 'nonsense'; can't understand 'nonsense'");
  });

  test('each kind lists its labels', () => {
    expect(fieldLabels('Pod')).toEqual(expect.arrayContaining(['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase']));
    expect(fieldLabels('Deployment', 'apps')).toEqual(['metadata.name', 'metadata.namespace']);
    expect(fieldLabels('Secret')).toContain('type');
    expect(fieldLabels('Service')).toEqual(expect.arrayContaining(['spec.clusterIP', 'spec.type']));
  });
});
