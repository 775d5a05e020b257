import { describe, expect, it } from 'vitest';
import {
  describeDeployment,
  describeGeneric,
  describePodTemplate,
  eventInterval,
  findNewReplicaSet,
  findOldReplicaSets,
  smartLabelFor,
} from '../../../src/cli/format/describe.js';
import type { KubeObject } from '../../../src/core/object.js';
import { after, articleEvents, at, frontDeployment, JST, newRS, oldRS, replicaSet, scalingEvent, V2_AT } from './fixtures.js';

// Blocks copied verbatim from the seed article (reference/seed-article-ja.txt).
const ARTICLE_HEADER_REV1 = `Name:                   front
Namespace:              default
CreationTimestamp:      Sun, 10 Oct 2021 09:02:34 +0900
Labels:                 app=front
Annotations:            deployment.kubernetes.io/revision: 1
`;
const ARTICLE_STRATEGY = `Selector:               app=front
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  10% max unavailable, 30% max surge
`;
const ARTICLE_CONDITIONS = `Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
`;
const ARTICLE_EVENTS_REV1 = `Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  39s   deployment-controller  Scaled up replica set front-7876d7bd66 to 3
`;
const ARTICLE_EVENTS_REV2 = `Events:
  Type    Reason             Age    From                   Message
  ----    ------             ----   ----                   -------
  Normal  ScalingReplicaSet  3m43s  deployment-controller  Scaled up replica set front-7876d7bd66 to 3
  Normal  ScalingReplicaSet  64s    deployment-controller  Scaled up replica set front-7b95f674dc to 1
  Normal  ScalingReplicaSet  54s    deployment-controller  Scaled down replica set front-7876d7bd66 to 2
  Normal  ScalingReplicaSet  54s    deployment-controller  Scaled up replica set front-7b95f674dc to 2
  Normal  ScalingReplicaSet  43s    deployment-controller  Scaled down replica set front-7876d7bd66 to 1
  Normal  ScalingReplicaSet  43s    deployment-controller  Scaled up replica set front-7b95f674dc to 3
  Normal  ScalingReplicaSet  33s    deployment-controller  Scaled down replica set front-7876d7bd66 to 0
`;
const ARTICLE_HEADER_REV3 = `Name:                   front
Namespace:              default
CreationTimestamp:      Sun, 10 Oct 2021 09:02:34 +0900
Labels:                 app=front
Annotations:            deployment.kubernetes.io/revision: 3
`;

const v1 = () => frontDeployment({ revision: 1, image: 'xxx/frontend:v1.0.0' });
const v2 = () => frontDeployment({ revision: 2, image: 'xxx/frontend:v2.0.0' });

describe('describeDeployment: the seed article', () => {
  it('revision 1, 39s after creation: full kubectl 1.31 output', () => {
    const out = describeDeployment(v1(), [oldRS(3)], [scalingEvent(0, 'Scaled up replica set front-7876d7bd66 to 3')], { now: after(39), tzOffsetMinutes: JST });
    expect(out).toBe(
      ARTICLE_HEADER_REV1 +
        ARTICLE_STRATEGY +
        `Pod Template:
  Labels:  app=front
  Containers:
   front:
    Image:         xxx/frontend:v1.0.0
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
` +
        ARTICLE_CONDITIONS +
        `OldReplicaSets:  <none>
NewReplicaSet:   front-7876d7bd66 (3/3 replicas created)
` +
        ARTICLE_EVENTS_REV1,
    );
  });

  it('after v1 → v2: the ScalingReplicaSet sequence, and both ReplicaSets', () => {
    const out = describeDeployment(v2(), [newRS(3), oldRS(0)], articleEvents(), { now: after(223), tzOffsetMinutes: JST });
    expect(out).toContain(ARTICLE_CONDITIONS + 'OldReplicaSets:  front-7876d7bd66 (0/0 replicas created)\nNewReplicaSet:   front-7b95f674dc (3/3 replicas created)\n');
    expect(out.endsWith(ARTICLE_EVENTS_REV2)).toBe(true);
  });

  it('after v2 → v1: revision 3 on the Deployment, old RS re-used as the new one', () => {
    const d = frontDeployment({ revision: 3, image: 'xxx/frontend:v1.0.0' });
    const out = describeDeployment(d, [oldRS(3, 3), newRS(0, 2)], [], { now: after(400), tzOffsetMinutes: JST });
    expect(out.startsWith(ARTICLE_HEADER_REV3 + ARTICLE_STRATEGY)).toBe(true);
    expect(out).toContain('OldReplicaSets:  front-7b95f674dc (0/0 replicas created)\nNewReplicaSet:   front-7876d7bd66 (3/3 replicas created)\n');
  });

  it('prints "Events:  <none>" aligned with the block above it', () => {
    const out = describeDeployment(v2(), [oldRS(0), newRS(3)], [], { now: after(223), tzOffsetMinutes: JST });
    expect(out.endsWith('NewReplicaSet:   front-7b95f674dc (3/3 replicas created)\nEvents:          <none>\n')).toBe(true);
  });
});

describe('describeDeployment: fields', () => {
  it('aggregates repeated events as "<last> (xN over <first>)"', () => {
    const e = scalingEvent(200, 'Scaled up replica set front-7b95f674dc to 3', { count: 2, first: 0 });
    const out = describeDeployment(v2(), [newRS(3)], [e], { now: after(300) });
    expect(out).toContain(
      'Events:\n' +
        '  Type    Reason             Age                From                   Message\n' +
        '  ----    ------             ----               ----                   -------\n' +
        '  Normal  ScalingReplicaSet  100s (x2 over 5m)  deployment-controller  Scaled up replica set front-7b95f674dc to 3\n',
    );
  });

  it('sorts events by lastTimestamp, keeping the given order for ties', () => {
    const evs = [scalingEvent(20, 'second'), scalingEvent(10, 'first'), scalingEvent(20, 'third')];
    const lines = describeDeployment(v2(), [], evs, { now: after(30) }).trimEnd().split('\n').slice(-3);
    expect(lines.map((l) => l.split('  ').pop())).toEqual(['first', 'second', 'third']);
  });

  it('writes several labels and annotations one per line, aligned, skipping last-applied-configuration', () => {
    const d = frontDeployment({
      revision: 2,
      image: 'xxx/frontend:v2.0.0',
      annotations: { 'kubernetes.io/change-cause': 'Bump to v2 (abc1234)', 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}\n' },
    });
    d.metadata.labels = { app: 'front', tier: 'web' };
    const out = describeDeployment(d, [], [], { now: after(1) });
    expect(out).toContain(
      'Labels:                 app=front\n' +
        '                        tier=web\n' +
        'Annotations:            deployment.kubernetes.io/revision: 2\n' +
        '                        kubernetes.io/change-cause: Bump to v2 (abc1234)\n' +
        'Selector:               app=front\n',
    );
    expect(out).not.toContain('last-applied');
  });

  it('prints <none> for no labels/annotations and long annotation values below their key', () => {
    const d = v1();
    d.metadata.labels = {};
    d.metadata.annotations = { note: 'x'.repeat(150) };
    const out = describeDeployment(d, [], [], { now: after(1) });
    expect(out).toContain(`Labels:                 <none>\nAnnotations:            note:\n                          ${'x'.repeat(138)}...\n`);
  });

  it('Recreate: no RollingUpdateStrategy line, so the key column is 20 wide', () => {
    const d = v1();
    d.spec.strategy = { type: 'Recreate' };
    const out = describeDeployment(d, [], [], { now: after(1) });
    expect(out).toContain('CreationTimestamp:  Sun, 10 Oct 2021 00:02:34 +0000\n');
    expect(out).toContain('StrategyType:       Recreate\nMinReadySeconds:    0\nPod Template:\n');
    expect(out).not.toContain('RollingUpdateStrategy');
  });

  it('prints integer surge/unavailable verbatim and defaults a missing rollingUpdate to 25%', () => {
    const d = v1();
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    expect(describeDeployment(d, [], [], { now: after(1) })).toContain('RollingUpdateStrategy:  0 max unavailable, 1 max surge\n');
    d.spec.strategy = { type: 'RollingUpdate' };
    expect(describeDeployment(d, [], [], { now: after(1) })).toContain('RollingUpdateStrategy:  25% max unavailable, 25% max surge\n');
  });

  it('leaves out Conditions and the ReplicaSet lines when there are none', () => {
    const d = frontDeployment({ revision: 1, image: 'xxx/frontend:v1.0.0', status: {} });
    const out = describeDeployment(d, [], [], { now: after(1) });
    expect(out).toContain('Replicas:               3 desired | 0 updated | 0 total | 0 available | 0 unavailable\n');
    expect(out).not.toContain('Conditions:');
    expect(out).not.toContain('ReplicaSet:');
    // With nothing in between, "Events:" joins the Pod Template's alignment block, as in kubectl.
    expect(out.endsWith('  Node-Selectors:  <none>\n  Tolerations:     <none>\nEvents:            <none>\n')).toBe(true);
  });

  it('shows NewReplicaSet <none> when no ReplicaSet matches the template yet', () => {
    const out = describeDeployment(v2(), [oldRS(3)], [], { now: after(V2_AT) });
    expect(out).toContain('OldReplicaSets:  front-7876d7bd66 (3/3 replicas created)\nNewReplicaSet:   <none>\n');
  });

  it('describes a richer pod template (ports, env, mounts, volumes, probes, resources)', () => {
    const d = v1();
    d.spec.template.metadata.annotations = { 'prometheus.io/scrape': 'true' };
    d.spec.template.spec = {
      serviceAccountName: 'front-sa',
      containers: [
        {
          name: 'front',
          image: 'xxx/frontend:v1.0.0',
          args: ['--port=8080'],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { limits: { memory: '256Mi', cpu: '500m' }, requests: { cpu: '100m' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 5 },
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
          ],
          volumeMounts: [
            { name: 'config', mountPath: '/etc/front', readOnly: true },
            { name: 'cache', mountPath: '/cache' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'front-config' } },
        { name: 'cache', emptyDir: {} },
      ],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }, { operator: 'Exists' }],
    };
    const out = describeDeployment(d, [], [], { now: after(1) });
    expect(out).toContain(`Pod Template:
  Labels:           app=front
  Annotations:      prometheus.io/scrape: true
  Service Account:  front-sa
  Containers:
   front:
    Image:      xxx/frontend:v1.0.0
    Port:       8080/TCP
    Host Port:  0/TCP
    Args:
      --port=8080
    Limits:
      cpu:     500m
      memory:  256Mi
    Requests:
      cpu:      100m
    Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3
    Environment:
      MODE:      prod
      POD_NAME:   (v1:metadata.name)
      TOKEN:     <set to the key 'token' in secret 'creds'>  Optional: false
    Mounts:
      /cache from cache (rw)
      /etc/front from config (ro)
  Volumes:
   config:
    Type:      ConfigMap (a volume populated by a ConfigMap)
    Name:      front-config
    Optional:  false
   cache:
    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:        
    SizeLimit:     <unset>
  Node-Selectors:  kubernetes.io/os=linux
  Tolerations:     op=Exists
                   dedicated=web:NoSchedule
`);
  });
});

describe('describePodTemplate (raw prefix-writer text)', () => {
  it('keeps literal tabs, unaligned', () => {
    expect(describePodTemplate(newRS(3).spec.template)).toBe(
      'Pod Template:\n' +
        '  Labels:\tapp=front\n' +
        '\tpod-template-hash=7b95f674dc\n' +
        '  Containers:\n' +
        '   front:\n' +
        '    Image:\txxx/frontend:v2.0.0\n' +
        '    Port:\t<none>\n' +
        '    Host Port:\t<none>\n' +
        '    Environment:\t<none>\n' +
        '    Mounts:\t<none>\n' +
        '  Volumes:\t<none>\n' +
        '  Node-Selectors:\t<none>\n' +
        '  Tolerations:\t<none>\n',
    );
  });

  it('uses "Ports"/"Host Ports" for several ports', () => {
    const t = { metadata: {}, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP', hostPort: 5353 }] }] } };
    const raw = describePodTemplate(t);
    expect(raw).toContain('  Labels:\t<none>\n');
    expect(raw).toContain('    Ports:\t80/TCP, 53/UDP\n    Host Ports:\t0/TCP, 5353/UDP\n');
  });
});

describe('findNewReplicaSet / findOldReplicaSets', () => {
  it('matches the template ignoring pod-template-hash; old ones oldest first', () => {
    const a = oldRS(0);
    const b = newRS(3);
    const c = replicaSet({ hash: '5d9c7b8f4', image: 'xxx/frontend:v3.0.0', revision: 3, created: 500, spec: 0 });
    const d = v2();
    expect(findNewReplicaSet(d, [c, b, a])?.metadata.name).toBe('front-7b95f674dc');
    expect(findOldReplicaSets(d, [c, b, a]).map((r) => r.metadata.name)).toEqual(['front-7876d7bd66', 'front-5d9c7b8f4']);
  });

  it('picks the oldest of two equal templates (creation time, then name)', () => {
    const x = replicaSet({ hash: 'bbbb', image: 'xxx/frontend:v2.0.0', revision: 2, created: 10, spec: 1 });
    const y = replicaSet({ hash: 'aaaa', image: 'xxx/frontend:v2.0.0', revision: 2, created: 10, spec: 1 });
    expect(findNewReplicaSet(v2(), [x, y])?.metadata.name).toBe('front-aaaa');
  });

  it('treats a template difference in annotations as a different template', () => {
    const rs = newRS(3);
    rs.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': at(1) };
    expect(findNewReplicaSet(v2(), [rs])).toBeUndefined();
  });
});

describe('eventInterval', () => {
  it('is the first-seen age for a single event and "(xN over …)" for repeats', () => {
    expect(eventInterval(scalingEvent(0, 'm'), after(39))).toBe('39s');
    expect(eventInterval(scalingEvent(270, 'm', { count: 2, first: 0 }), after(300))).toBe('30s (x2 over 5m)');
    expect(eventInterval({ ...scalingEvent(0, 'm'), firstTimestamp: '' } as any, after(1))).toBe('<unknown>');
  });
});

describe('describeGeneric', () => {
  it('prints metadata, then every other field with kubectl smart labels, then events', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'front-config', namespace: 'default', uid: 'u-1', resourceVersion: '42', creationTimestamp: at(0), labels: { app: 'front' }, managedFields: [{}] },
      data: { 'app.properties': 'color=blue', greeting: 'hello' },
    };
    expect(describeGeneric(cm, [], { now: after(1) })).toBe(
      'Name:         front-config\n' +
        'Namespace:    default\n' +
        'Labels:       app=front\n' +
        'Annotations:  <none>\n' +
        'API Version:  v1\n' +
        'Data:\n' +
        '  app.properties:  color=blue\n' +
        '  Greeting:        hello\n' +
        'Kind:              ConfigMap\n' +
        'Metadata:\n' +
        '  Creation Timestamp:  2021-10-10T00:02:34Z\n' +
        '  Resource Version:    42\n' +
        '  UID:                 u-1\n' +
        'Events:                <none>\n',
    );
  });

  it('nests lists of objects and prints scalar lists one per line', () => {
    const o: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { hosts: ['a', 'b'], rules: [{ port: 80, enabled: true }] } };
    const out = describeGeneric(o, [scalingEvent(0, 'hi')], { now: after(5) });
    expect(out).toContain('Spec:\n  Hosts:\n    a\n    b\n  Rules:\n    Enabled:  true\n    Port:     80\n');
    expect(out).toContain('  Normal  ScalingReplicaSet  5s    deployment-controller  hi\n');
  });

  it('smartLabelFor splits camelCase and upper-cases known acronyms', () => {
    expect(['apiVersion', 'creationTimestamp', 'uid', 'matchLabels', 'hostIP', 'app.properties', 'x-y'].map(smartLabelFor)).toEqual([
      'API Version',
      'Creation Timestamp',
      'UID',
      'Match Labels',
      'Host IP',
      'app.properties',
      'X - Y',
    ]);
  });
});
