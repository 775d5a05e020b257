import { describe, expect, it } from 'vitest';
import { formatTable, noResourcesMessage, podSummary, resolveKind } from '../../../src/cli/format/get.js';
import type { KubeObject } from '../../../src/core/object.js';
import { after, articleEvents, at, frontDeployment, newRS, oldRS, pod, T0, V2_AT } from './fixtures.js';

describe('formatTable: the seed article tables, byte for byte', () => {
  it('kubectl get deploy (mid-rollout: 2 of 3 updated)', () => {
    const d = frontDeployment({
      revision: 2,
      image: 'xxx/frontend:v2.0.0',
      status: { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 },
    });
    expect(formatTable('Deployment', [d], { now: after(175) })).toBe(
      'NAME    READY   UP-TO-DATE   AVAILABLE   AGE\n' + //
        'front   3/3     2            3           2m55s\n',
    );
  });

  it('kubectl get rs (after the rollout)', () => {
    expect(formatTable('ReplicaSet', [oldRS(0), newRS(3)], { now: after(201) })).toBe(
      'NAME               DESIRED   CURRENT   READY   AGE\n' +
        'front-7876d7bd66   0         0         0       3m21s\n' +
        'front-7b95f674dc   3         3         3       42s\n',
    );
  });
});

describe('formatTable: Deployment and ReplicaSet', () => {
  it('-o wide adds CONTAINERS IMAGES SELECTOR', () => {
    const d = frontDeployment({ revision: 1, image: 'xxx/frontend:v1.0.0' });
    expect(formatTable('deployments', [d], { now: after(39), wide: true })).toBe(
      'NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                SELECTOR\n' +
        'front   3/3     3            3           39s   front        xxx/frontend:v1.0.0   app=front\n',
    );
    expect(formatTable('rs', [newRS(3)], { now: after(V2_AT + 1), wide: true })).toBe(
      'NAME               DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES                SELECTOR\n' +
        'front-7b95f674dc   3         3         3       1s    front        xxx/frontend:v2.0.0   app=front,pod-template-hash=7b95f674dc\n',
    );
  });

  it('READY is readyReplicas/spec.replicas with missing status fields as 0', () => {
    const d = frontDeployment({ revision: 1, image: 'x', status: {} });
    expect(formatTable('deploy', [d], { now: after(5) })).toBe(
      'NAME    READY   UP-TO-DATE   AVAILABLE   AGE\n' + //
        'front   0/3     0            0           5s\n',
    );
  });

  it('joins several containers with commas in wide output', () => {
    const d = frontDeployment({ revision: 1, image: 'a:1' });
    d.spec.template.spec.containers.push({ name: 'sidecar', image: 'b:2' });
    d.spec.selector = { matchLabels: { app: 'front' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] };
    const out = formatTable('Deployment', [d], { now: after(5), wide: true });
    expect(out.split('\n')[1]).toBe('front   3/3     3            3           5s    front,sidecar   a:1,b:2   app=front,tier in (api,web)');
  });

  it('prints <unknown> AGE without a creationTimestamp', () => {
    const rs = newRS(1);
    delete rs.metadata.creationTimestamp;
    expect(formatTable('ReplicaSet', [rs], { now: after(5) }).split('\n')[1]).toBe('front-7b95f674dc   1         1         1       <unknown>');
  });
});

describe('formatTable: Pod STATUS follows printPod', () => {
  const running = (ready = true) => ({
    phase: 'Running',
    podIP: '10.244.0.7',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'front', ready, restartCount: 0, image: 'xxx/frontend:v2.0.0', state: { running: { startedAt: at(V2_AT + 2) } } }],
  });

  it('lists running, creating, pulling and terminating pods', () => {
    const pods: KubeObject[] = [
      pod('front-7b95f674dc-4xk2p', running()),
      pod('front-7b95f674dc-9zqvb', {
        phase: 'Pending',
        containerStatuses: [{ name: 'front', ready: false, restartCount: 0, image: 'xxx/frontend:v2.0.0', state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
      pod('front-7b95f674dc-bd7fq', {
        phase: 'Pending',
        containerStatuses: [{ name: 'front', ready: false, restartCount: 0, image: 'xxx/frontend:broken', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
      }),
      pod('front-7876d7bd66-8fhlm', running(), { created: 0, deletionTimestamp: at(V2_AT + 30) }),
      pod('front-7876d7bd66-q5w9d', { phase: 'Pending' }, { created: 0 }),
    ];
    expect(formatTable('pods', pods, { now: after(V2_AT + 42) })).toBe(
      'NAME                     READY   STATUS              RESTARTS   AGE\n' +
        'front-7b95f674dc-4xk2p   1/1     Running             0          42s\n' +
        'front-7b95f674dc-9zqvb   0/1     ContainerCreating   0          42s\n' +
        'front-7b95f674dc-bd7fq   0/1     ImagePullBackOff    0          42s\n' +
        'front-7876d7bd66-8fhlm   1/1     Terminating         0          3m21s\n' +
        'front-7876d7bd66-q5w9d   0/1     Pending             0          3m21s\n',
    );
  });

  it('-o wide adds IP NODE NOMINATED NODE READINESS GATES', () => {
    const p = pod('front-7b95f674dc-4xk2p', running(), { spec: { nodeName: 'sim-node-1' } });
    const q = pod('front-7b95f674dc-9zqvb', { phase: 'Pending' }, { spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } });
    expect(formatTable('Pod', [p, q], { now: after(V2_AT + 42), wide: true })).toBe(
      'NAME                     READY   STATUS    RESTARTS   AGE   IP           NODE         NOMINATED NODE   READINESS GATES\n' +
        'front-7b95f674dc-4xk2p   1/1     Running   0          42s   10.244.0.7   sim-node-1   <none>           <none>\n' +
        'front-7b95f674dc-9zqvb   0/1     Pending   0          42s   <none>       <none>       <none>           0/1\n',
    );
  });

  it('shows restarts with the time since the last one, and exit reasons', () => {
    const crashing = pod('p', {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'front',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: at(V2_AT + 100) } },
        },
      ],
    });
    expect(podSummary(crashing, after(V2_AT + 400))).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '3 (5m ago)' });
    const exited = pod('p', { phase: 'Running', containerStatuses: [{ name: 'front', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] });
    expect(podSummary(exited, after(0)).status).toBe('ExitCode:2');
    const done = pod('p', { phase: 'Succeeded', containerStatuses: [{ name: 'front', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    expect(podSummary(done, after(0)).status).toBe('Completed');
    const doneDeleted = pod('p', { phase: 'Succeeded' }, { deletionTimestamp: at(1) });
    expect(podSummary(doneDeleted, after(2)).status).toBe('Succeeded');
  });

  it('reports init-container progress', () => {
    const p = pod(
      'p',
      { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] },
      { spec: { initContainers: [{ name: 'init', image: 'busybox' }] } },
    );
    expect(podSummary(p, after(0)).status).toBe('Init:0/1');
    p.status.initContainerStatuses[0].state = { waiting: { reason: 'ErrImagePull' } };
    expect(podSummary(p, after(0)).status).toBe('Init:ErrImagePull');
  });
});

describe('formatTable: Events', () => {
  it('kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE, object as lower-case kind/name', () => {
    const events = articleEvents().slice(0, 2);
    events.push({
      ...articleEvents()[1]!,
      metadata: { name: 'front-7b95f674dc.1', namespace: 'default' },
      involvedObject: { kind: 'ReplicaSet', namespace: 'default', name: 'front-7b95f674dc' },
      reason: 'SuccessfulCreate',
      message: 'Created pod: front-7b95f674dc-4xk2p',
      source: { component: 'replicaset-controller' },
    });
    events.push({
      ...articleEvents()[1]!,
      metadata: { name: 'front-7b95f674dc-4xk2p.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'front-7b95f674dc-4xk2p' },
      reason: 'Pulled',
      message: 'Successfully pulled image "xxx/frontend:v2.0.0"\n',
      source: { component: 'kubelet' },
      type: 'Normal',
    });
    expect(formatTable('events', events, { now: after(223) })).toBe(
      'LAST SEEN   TYPE     REASON              OBJECT                        MESSAGE\n' +
        '3m43s       Normal   ScalingReplicaSet   deployment/front              Scaled up replica set front-7876d7bd66 to 3\n' +
        '64s         Normal   ScalingReplicaSet   deployment/front              Scaled up replica set front-7b95f674dc to 1\n' +
        '64s         Normal   SuccessfulCreate    replicaset/front-7b95f674dc   Created pod: front-7b95f674dc-4xk2p\n' +
        '64s         Normal   Pulled              pod/front-7b95f674dc-4xk2p    Successfully pulled image "xxx/frontend:v2.0.0"\n',
    );
  });

  it('LAST SEEN is the last occurrence only; -o wide shows FIRST SEEN and COUNT', () => {
    const e = articleEvents()[0]!;
    e.count = 2;
    e.firstTimestamp = at(0);
    e.lastTimestamp = at(200);
    e.source = { component: 'deployment-controller', host: 'sim' } as any;
    expect(formatTable('Event', [e], { now: after(223), wide: true })).toBe(
      'LAST SEEN   TYPE     REASON              OBJECT             SUBOBJECT   SOURCE                       MESSAGE                                       FIRST SEEN   COUNT   NAME\n' +
        '23s         Normal   ScalingReplicaSet   deployment/front               deployment-controller, sim   Scaled up replica set front-7876d7bd66 to 3   3m43s        2       front.0\n',
    );
  });
});

describe('formatTable: other kinds', () => {
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: at(0), ...extra });

  it('ConfigMap NAME DATA AGE', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('front-config'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
    expect(formatTable('ConfigMap', [cm], { now: after(60) })).toBe('NAME           DATA   AGE\nfront-config   3      60s\n');
  });

  it('Service NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('front'),
      spec: { type: 'NodePort', clusterIP: '10.96.12.34', clusterIPs: ['10.96.12.34'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'front' } },
    };
    const lb: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.9'], ports: [{ port: 443 }] } };
    expect(formatTable('svc', [svc, lb], { now: after(60) })).toBe(
      'NAME    TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)               AGE\n' +
        'front   NodePort       10.96.12.34   <none>        80:30080/TCP,53/UDP   60s\n' +
        'lb      LoadBalancer   10.96.0.9     <pending>     443/TCP               60s\n',
    );
    expect(formatTable('Service', [svc], { now: after(60), wide: true }).split('\n')[0]).toBe(
      'NAME    TYPE       CLUSTER-IP    EXTERNAL-IP   PORT(S)               AGE   SELECTOR',
    );
  });

  it('Secret NAME TYPE DATA AGE', () => {
    const s: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'Opaque', data: { user: 'dQ==' }, stringData: { pass: 'x' } };
    expect(formatTable('secrets', [s], { now: after(60) })).toBe('NAME    TYPE     DATA   AGE\ncreds   Opaque   2      60s\n');
  });

  it('Namespace NAME STATUS AGE, never with a NAMESPACE column', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: at(0) }, status: { phase: 'Active' } };
    expect(formatTable('ns', [ns], { now: after(3 * 3600 + 300), allNamespaces: true })).toBe('NAME      STATUS   AGE\ndefault   Active   3h5m\n');
  });

  it('any other kind: NAME AGE', () => {
    const o: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('w1') };
    expect(formatTable('Widget', [o], { now: after(51 * 3600) })).toBe('NAME   AGE\nw1     2d3h\n');
  });

  it('allNamespaces prepends NAMESPACE', () => {
    const other = newRS(1);
    other.metadata.namespace = 'staging';
    expect(formatTable('ReplicaSet', [oldRS(0), other], { now: after(201), allNamespaces: true })).toBe(
      'NAMESPACE   NAME               DESIRED   CURRENT   READY   AGE\n' +
        'default     front-7876d7bd66   0         0         0       3m21s\n' +
        'staging     front-7b95f674dc   1         1         1       42s\n',
    );
  });
});

describe('empty listings', () => {
  it('names the namespace', () => {
    expect(formatTable('Deployment', [], { now: T0 })).toBe('No resources found in default namespace.\n');
    expect(formatTable('pods', [], { now: T0, namespace: 'staging' })).toBe('No resources found in staging namespace.\n');
  });
  it('is unqualified for all namespaces and cluster-scoped kinds', () => {
    expect(formatTable('Deployment', [], { now: T0, allNamespaces: true })).toBe('No resources found\n');
    expect(formatTable('Namespace', [], { now: T0, namespace: 'default' })).toBe('No resources found\n');
    expect(noResourcesMessage('events', { namespace: 'kube-system' })).toBe('No resources found in kube-system namespace.\n');
  });
});

describe('resolveKind', () => {
  it('maps kubectl resource words to kinds', () => {
    expect(['deploy', 'deployments', 'Deployment', 'deployment.apps'].map(resolveKind)).toEqual(Array(4).fill('Deployment'));
    expect(['rs', 'po', 'ev', 'cm', 'svc', 'ns'].map(resolveKind)).toEqual(['ReplicaSet', 'Pod', 'Event', 'ConfigMap', 'Service', 'Namespace']);
    expect(resolveKind('Widget')).toBe('Widget');
  });
});
