/**
 * The guard end to end: real commits in temp git repositories, reconciled through the CLI
 * (`mflux reconcile --repo DIR -o json`) into fresh state dirs. Every rule blocks the whole commit
 * (Blocked, exit 1, every reason with file:line and field path, every resourceVersion kept); a
 * blocked commit mixed with harmless changes applies nothing and the next good commit applies; the
 * safe ways round (scale to 0 then remove; new name, shift, remove) succeed without ever dropping
 * below the desired available replicas; `apply -f`, `diff`, `--block-impact` and `--max-prune`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type Clock, type KubeObject, VirtualClock } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { Ledger } from '../../src/ledger/index.js';
import { newSourceMemo, reconcileOnce, type ReconcileResult } from '../../src/reconcile/index.js';
import { openSource } from '../../src/source/index.js';
import { StateStore } from '../../src/store/index.js';
import { TestRepo, mflux, removeTestRepos } from '../cli/helpers.js';


afterAll(removeTestRepos);

/** Repo is a real git repository in a temp dir; `state` is a fresh mflux state dir next to it. */
class Repo extends TestRepo {
  constructor() {
    super('mflux-guard-');
  }
  /** reconcile runs `mflux reconcile --repo DIR -o json` and parses the document. */
  async reconcile(...flags: string[]): Promise<{ code: number; json: any; stderr: string }> {
    const r = await mflux(this.state, 'reconcile', '--repo', this.dir, '-o', 'json', ...flags);
    return { code: r.code, json: JSON.parse(r.stdout), stderr: r.stderr };
  }
  run(...args: string[]) {
    return mflux(this.state, ...args);
  }
}

// ---- manifests ------------------------------------------------------------------------------

const annotations = (a?: Record<string, string>) => (a ? `\n  annotations:\n${Object.entries(a).map(([k, v]) => `    ${k}: ${v}`).join('\n')}` : '');

function deploy(name: string, o: { replicas?: number; image?: string; labels?: string; strategy?: string; annotations?: Record<string, string> } = {}): string {
  const labels = o.labels ?? `{app: ${name}}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}${annotations(o.annotations)}
spec:
  replicas: ${o.replicas ?? 3}
  selector:
    matchLabels: ${labels}
  template:
    metadata:
      labels: ${labels}
    spec:
      containers:
        - name: app
          image: ${o.image ?? `${name}:1`}
${o.strategy ? `  strategy: ${o.strategy}\n` : ''}`;
}

function podOwner(kind: string, name: string, o: { selector?: string; labels?: string; image?: string; extra?: string; apiVersion?: string } = {}): string {
  const labels = o.labels ?? `{app: ${name}}`;
  return `apiVersion: ${o.apiVersion ?? 'apps/v1'}
kind: ${kind}
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: ${o.selector ?? labels}
  template:
    metadata:
      labels: ${labels}
    spec:
      containers:
        - name: app
          image: ${o.image ?? `${name}:1`}
${o.extra ?? ''}`;
}

const sts = (o: { selector?: string; storage?: string; serviceName?: string; pmp?: string } = {}) =>
  podOwner('StatefulSet', 'db', {
    selector: o.selector,
    extra: `  serviceName: ${o.serviceName ?? 'db'}\n  podManagementPolicy: ${o.pmp ?? 'OrderedReady'}\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: ${o.storage ?? '1Gi'}}}}\n`,
  });

const job = (o: { image?: string; selector?: string } = {}) =>
  podOwner('Job', 'migrate', { apiVersion: 'batch/v1', labels: '{job: migrate, v: "1"}', selector: o.selector ?? '{job: migrate}', image: o.image ?? 'migrate:1', extra: '' }).replace(
    '      containers:',
    '      restartPolicy: Never\n      containers:',
  );

const cm = (name: string, data: Record<string, string>, o: { immutable?: boolean; namespace?: string; annotations?: Record<string, string> } = {}) =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}${o.namespace ? `\n  namespace: ${o.namespace}` : ''}${annotations(o.annotations)}
${o.immutable !== undefined ? `immutable: ${o.immutable}\n` : ''}data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;

const secret = (name: string, stringData: Record<string, string>, immutable?: boolean) =>
  `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
${immutable !== undefined ? `immutable: ${immutable}\n` : ''}stringData:
${Object.entries(stringData).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;

const svc = (name: string, clusterIP?: string, port = 80) =>
  `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
${clusterIP ? `  clusterIP: ${clusterIP}\n` : ''}  ports:
    - port: ${port}
      targetPort: 8080
`;

const pvc = (storage: string, storageClassName = 'standard') =>
  `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${storageClassName}
  resources:
    requests:
      storage: ${storage}
`;

const ns = (...names: string[]) => names.map((n) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join('---\n');

/** docs joins YAML documents into one multi-document file. */
const docs = (...texts: string[]) => texts.join('---\n');

/** docLine is the 1-based line where document `index` of a multi-document file starts (as origins count). */
function docLine(text: string, index: number): number {
  if (index === 0) return 1;
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i] === '---' && ++seen === index) return i + 2;
  throw new Error(`no document ${index}`);
}

// ---- cluster snapshots ----------------------------------------------------------------------

const SNAPSHOT_KINDS = ['deployments', 'replicasets', 'pods', 'services', 'configmaps', 'secrets', 'namespaces', 'StatefulSet', 'DaemonSet', 'Job', 'PersistentVolumeClaim'];

/** snapshot maps every object in the cluster to uid@resourceVersion, read with `mflux get KIND -A -o json`. */
async function snapshot(r: Repo): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of SNAPSHOT_KINDS) {
    const g = await r.run('get', kind, '-A', '-o', 'json');
    expect(g.code, `get ${kind}: ${g.stderr}`).toBe(0);
    for (const i of JSON.parse(g.stdout).items) out[`${i.kind}/${i.metadata.namespace ?? ''}/${i.metadata.name}`] = `${i.metadata.uid}@${i.metadata.resourceVersion}`;
  }
  return out;
}

async function getJSON(r: Repo, ...args: string[]): Promise<any> {
  const g = await r.run('get', ...args, '-o', 'json');
  expect(g.code, g.stderr).toBe(0);
  return JSON.parse(g.stdout);
}

type WantReason = { code: string; object: string; file?: string; line?: number; field?: string };
const pick = (r: any): WantReason => ({ code: r.code, object: r.object, file: r.file, line: r.line, field: r.field });
const byKey = (a: WantReason, b: WantReason) => `${a.object}|${a.code}|${a.field}`.localeCompare(`${b.object}|${b.code}|${b.field}`);

// ---- every rule blocks ----------------------------------------------------------------------

interface Scenario {
  name: string;
  before: Record<string, string>;
  after: Record<string, string | null>;
  flags?: string[];
  want: WantReason[];
  /** message: a fragment every reason's message must contain (e.g. the safe alternative). */
  message?: RegExp;
}

const ROLLING = /create the object under a new name with the new value, shift traffic to it, then remove the old one/;
const appYaml = docs(cm('web-config', { LOG: 'info' }), deploy('web'));
const appYamlV2Selector = docs(cm('web-config', { LOG: 'info' }), deploy('web', { labels: '{app: web, track: v2}' }));
const movedSettings = docs(cm('other', { a: '1' }, { namespace: 'team-a' }), cm('settings', { a: '1' }, { namespace: 'team-b' }));
const sixConfigMaps = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [`cm/${n}.yaml`, cm(`cm-${n}`, { v: n })]));

const SCENARIOS: Scenario[] = [
  {
    name: 'Deployment spec.selector',
    before: { 'app.yaml': appYaml },
    after: { 'app.yaml': appYamlV2Selector },
    want: [{ code: 'ImmutableFieldChange', object: 'Deployment/default/web', file: 'app.yaml', line: docLine(appYaml, 1), field: 'spec.selector' }],
    message: ROLLING,
  },
  {
    name: 'ReplicaSet spec.selector',
    before: { 'rs.yaml': podOwner('ReplicaSet', 'cache', { labels: '{app: cache, tier: be}', selector: '{app: cache}' }) },
    after: { 'rs.yaml': podOwner('ReplicaSet', 'cache', { labels: '{app: cache, tier: be}', selector: '{app: cache, tier: be}' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'ReplicaSet/default/cache', file: 'rs.yaml', line: 1, field: 'spec.selector' }],
    message: ROLLING,
  },
  {
    name: 'StatefulSet spec.selector',
    before: { 'db.yaml': sts() },
    after: { 'db.yaml': sts({ selector: '{app: db, role: primary}' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'StatefulSet/default/db', file: 'db.yaml', line: 1, field: 'spec.selector' }],
  },
  {
    name: 'StatefulSet volumeClaimTemplates',
    before: { 'db.yaml': sts() },
    after: { 'db.yaml': sts({ storage: '5Gi' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'StatefulSet/default/db', file: 'db.yaml', line: 1, field: 'spec.volumeClaimTemplates' }],
  },
  {
    name: 'StatefulSet serviceName and podManagementPolicy (both reasons)',
    before: { 'db.yaml': sts() },
    after: { 'db.yaml': sts({ serviceName: 'db-headless', pmp: 'Parallel' }) },
    want: [
      { code: 'ImmutableFieldChange', object: 'StatefulSet/default/db', file: 'db.yaml', line: 1, field: 'spec.serviceName' },
      { code: 'ImmutableFieldChange', object: 'StatefulSet/default/db', file: 'db.yaml', line: 1, field: 'spec.podManagementPolicy' },
    ],
  },
  {
    name: 'DaemonSet spec.selector',
    before: { 'ds.yaml': podOwner('DaemonSet', 'agent', { labels: '{app: agent, v: "1"}', selector: '{app: agent}' }) },
    after: { 'ds.yaml': podOwner('DaemonSet', 'agent', { labels: '{app: agent, v: "1"}', selector: '{app: agent, v: "1"}' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'DaemonSet/default/agent', file: 'ds.yaml', line: 1, field: 'spec.selector' }],
  },
  {
    name: 'Service spec.clusterIP once set',
    before: { 'svc.yaml': svc('web', '10.96.200.10') },
    after: { 'svc.yaml': svc('web', '10.96.200.20') },
    want: [{ code: 'ImmutableFieldChange', object: 'Service/default/web', file: 'svc.yaml', line: 1, field: 'spec.clusterIP' }],
    message: ROLLING,
  },
  {
    name: 'Job spec.template',
    before: { 'job.yaml': job() },
    after: { 'job.yaml': job({ image: 'migrate:2' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'Job/default/migrate', file: 'job.yaml', line: 1, field: 'spec.template' }],
  },
  {
    name: 'Job spec.selector',
    before: { 'job.yaml': job() },
    after: { 'job.yaml': job({ selector: '{job: migrate, v: "1"}' }) },
    want: [{ code: 'ImmutableFieldChange', object: 'Job/default/migrate', file: 'job.yaml', line: 1, field: 'spec.selector' }],
  },
  {
    name: 'PersistentVolumeClaim storage shrink',
    before: { 'pvc.yaml': pvc('2Gi') },
    after: { 'pvc.yaml': pvc('1Gi') },
    want: [{ code: 'ImmutableFieldChange', object: 'PersistentVolumeClaim/default/data', file: 'pvc.yaml', line: 1, field: 'spec.resources.requests.storage' }],
  },
  {
    name: 'PersistentVolumeClaim storageClassName',
    before: { 'pvc.yaml': pvc('1Gi') },
    after: { 'pvc.yaml': pvc('1Gi', 'fast') },
    want: [{ code: 'ImmutableFieldChange', object: 'PersistentVolumeClaim/default/data', file: 'pvc.yaml', line: 1, field: 'spec' }],
  },
  {
    name: 'immutable ConfigMap data',
    before: { 'cfg.yaml': cm('settings', { a: '1' }, { immutable: true }) },
    after: { 'cfg.yaml': cm('settings', { a: '2' }, { immutable: true }) },
    want: [{ code: 'ImmutableFieldChange', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1, field: 'data' }],
    message: ROLLING,
  },
  {
    name: 'turning immutable off on a ConfigMap',
    before: { 'cfg.yaml': cm('settings', { a: '1' }, { immutable: true }) },
    after: { 'cfg.yaml': cm('settings', { a: '1' }, { immutable: false }) },
    want: [{ code: 'ImmutableFieldChange', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1, field: 'immutable' }],
  },
  {
    name: 'immutable Secret stringData',
    before: { 'secret.yaml': secret('creds', { password: 'one' }, true) },
    after: { 'secret.yaml': secret('creds', { password: 'two' }, true) },
    want: [{ code: 'ImmutableFieldChange', object: 'Secret/default/creds', file: 'secret.yaml', line: 1, field: 'stringData' }],
  },
  {
    name: 'the same name moving to another kind (ConfigMap → Secret)',
    before: { 'settings.yaml': cm('settings', { a: '1' }), 'other.yaml': cm('other', { a: '1' }) },
    after: { 'settings.yaml': secret('settings', { a: '1' }) },
    want: [
      { code: 'ImmutableFieldChange', object: 'ConfigMap/default/settings', field: 'kind' },
      { code: 'ImmutableFieldChange', object: 'Secret/default/settings', file: 'settings.yaml', line: 1, field: 'kind' },
    ],
    message: ROLLING,
  },
  {
    name: 'the same name moving to another namespace',
    before: { 'ns.yaml': ns('team-a', 'team-b'), 'settings.yaml': cm('settings', { a: '1' }, { namespace: 'team-a' }) },
    after: { 'settings.yaml': movedSettings },
    want: [
      { code: 'ImmutableFieldChange', object: 'ConfigMap/team-a/settings', field: 'metadata.namespace' },
      { code: 'ImmutableFieldChange', object: 'ConfigMap/team-b/settings', file: 'settings.yaml', line: docLine(movedSettings, 1), field: 'metadata.namespace' },
    ],
  },
  {
    name: 'Flux kustomize.toolkit.fluxcd.io/force: enabled',
    before: { 'app.yaml': appYaml },
    after: { 'app.yaml': docs(cm('web-config', { LOG: 'info' }), deploy('web', { image: 'web:2', annotations: { 'kustomize.toolkit.fluxcd.io/force': 'enabled' } })) },
    want: [{ code: 'ForceReplaceRefused', object: 'Deployment/default/web', file: 'app.yaml', line: docLine(appYaml, 1), field: 'metadata.annotations["kustomize.toolkit.fluxcd.io/force"]' }],
    message: /mini-flux only applies in place/,
  },
  {
    name: 'Argo CD sync-options Replace=true',
    before: { 'cfg.yaml': cm('settings', { a: '1' }) },
    after: { 'cfg.yaml': cm('settings', { a: '2' }, { annotations: { 'argocd.argoproj.io/sync-options': 'Replace=true' } }) },
    want: [{ code: 'ForceReplaceRefused', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1, field: 'metadata.annotations["argocd.argoproj.io/sync-options"]' }],
  },
  {
    name: 'Argo CD sync-options Force=true among others',
    before: { 'cfg.yaml': cm('settings', { a: '1' }) },
    after: { 'cfg.yaml': cm('settings', { a: '1' }, { annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Force=true' } }) },
    want: [{ code: 'ForceReplaceRefused', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1, field: 'metadata.annotations["argocd.argoproj.io/sync-options"]' }],
  },
  {
    // mflux.dev/ annotations never show in a diff, so this entry is otherwise "unchanged" — still refused.
    name: 'mflux.dev/force (a YAML boolean) and mflux.dev/replace',
    before: { 'cfg.yaml': cm('settings', { a: '1' }), 'b.yaml': cm('other', { a: '1' }) },
    after: { 'cfg.yaml': cm('settings', { a: '1' }, { annotations: { 'mflux.dev/force': 'true' } }), 'b.yaml': cm('other', { a: '1' }, { annotations: { 'mflux.dev/replace': '"yes"' } }) },
    want: [
      { code: 'ForceReplaceRefused', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1, field: 'metadata.annotations["mflux.dev/force"]' },
      { code: 'ForceReplaceRefused', object: 'ConfigMap/default/other', file: 'b.yaml', line: 1, field: 'metadata.annotations["mflux.dev/replace"]' },
      // An annotation must be a string: the API server refuses the YAML boolean on decode as well.
      { code: 'BadRequest', object: 'ConfigMap/default/settings', file: 'cfg.yaml', line: 1 },
    ],
  },
  {
    name: 'a serving Deployment removed from Git',
    before: { 'app.yaml': appYaml, 'svc.yaml': svc('web') },
    after: { 'app.yaml': cm('web-config', { LOG: 'info' }) },
    want: [{ code: 'ServingWorkloadPrune', object: 'Deployment/default/web' }],
    message: /scale it to 0 in one commit \(replicas: 0\) and remove it in a later one/,
  },
  {
    name: 'pruning more than 20% of the inventory in one pass',
    before: sixConfigMaps,
    after: { 'cm/a.yaml': null, 'cm/b.yaml': null, 'cm/c.yaml': null },
    want: ['a', 'b', 'c'].map((n) => ({ code: 'PruneLimitExceeded', object: `ConfigMap/default/cm-${n}` })),
    message: /prunes 3 objects, more than the limit of 1 per pass \(maxPrune 20% of 6\)/,
  },
  {
    name: '--block-impact RecreateDowntime',
    before: { 'web.yaml': deploy('web', { strategy: '{type: Recreate}' }) },
    after: { 'web.yaml': deploy('web', { strategy: '{type: Recreate}', image: 'web:2' }) },
    flags: ['--block-impact', 'RecreateDowntime'],
    want: [{ code: 'RecreateDowntime', object: 'Deployment/default/web', file: 'web.yaml', line: 1 }],
    message: /\(blocked by policy\)/,
  },
  {
    name: '--block-impact ZeroAvailability (1 replica, maxUnavailable 1)',
    before: { 'web.yaml': deploy('web', { replicas: 1, strategy: '{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}' }) },
    after: { 'web.yaml': deploy('web', { replicas: 1, image: 'web:2', strategy: '{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}' }) },
    flags: ['--block-impact', 'ZeroAvailability'],
    want: [{ code: 'ZeroAvailability', object: 'Deployment/default/web', file: 'web.yaml', line: 1 }],
  },
  {
    name: '--block-impact DoubleCapacity (maxSurge 100%)',
    before: { 'web.yaml': deploy('web', { replicas: 2, strategy: '{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: "100%"}}' }) },
    after: { 'web.yaml': deploy('web', { replicas: 2, image: 'web:2', strategy: '{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: "100%"}}' }) },
    flags: ['--block-impact', 'DoubleCapacity'],
    want: [{ code: 'DoubleCapacity', object: 'Deployment/default/web', file: 'web.yaml', line: 1 }],
  },
];

describe('every rule blocks the whole commit; nothing is written', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const r = new Repo();
    r.write(s.before).commit('before');
    const first = await r.reconcile();
    expect(first.code, JSON.stringify(first.json.reasons)).toBe(0);
    expect(first.json.outcome).toBe('Applied');
    const before = await snapshot(r);
    expect(Object.keys(before).length).toBeGreaterThan(0);

    const sha = r.write(s.after).commit('after');
    const second = await r.reconcile(...(s.flags ?? []));
    expect(second.code).toBe(1);
    expect(second.json).toMatchObject({ outcome: 'Blocked', commit: sha, changes: [], rollouts: [] });
    expect(second.json.reason).toContain('nothing was applied');
    expect(second.json.reasons.map(pick).sort(byKey)).toEqual([...s.want].sort(byKey));
    for (const reason of second.json.reasons) {
      if (reason.file) expect(reason.message).toContain(`${reason.file}:${reason.line}: ${reason.object}: `);
      else expect(reason.message).toContain(`${reason.object}: `);
      if (s.message) expect(reason.message).toMatch(s.message);
    }
    expect(await snapshot(r)).toEqual(before);
  });
});

// ---- atomicity, history, recovery -----------------------------------------------------------

describe('a blocked change mixed with harmless ones', () => {
  const r = new Repo();
  let blockedSha = '';

  test('applies nothing (the ConfigMap keeps its old data); text output names every reason with file:line', async () => {
    r.write({ 'app.yaml': appYaml, 'svc.yaml': svc('web') }).commit('v1');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    const before = await snapshot(r);
    // A harmless ConfigMap edit, a harmless new ConfigMap, a selector change and a Flux force request in one commit.
    const mixed = docs(cm('web-config', { LOG: 'debug' }), deploy('web', { labels: '{app: web, track: v2}' }));
    blockedSha = r.write({ 'app.yaml': mixed, 'extra.yaml': cm('extra', { x: '1' }), 'svc.yaml': svc('web').replace('name: web', 'name: web\n  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled') }).commit('mixed');

    const text = await r.run('reconcile', '--repo', r.dir);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^Blocked: 2 problem\(s\) in .*nothing was applied, the cluster keeps the last applied revision$/m);
    expect(text.stderr).toContain(`error: app.yaml:${docLine(mixed, 1)}: Deployment/default/web: spec.selector is immutable`);
    expect(text.stderr).toMatch(/shift traffic to it, then remove the old one in a later commit once it is drained \[ImmutableFieldChange\]/);
    expect(text.stderr).toContain('error: svc.yaml:1: Service/default/web: annotation kustomize.toolkit.fluxcd.io/force: enabled asks for delete + re-create');

    expect(await snapshot(r)).toEqual(before);
    expect((await getJSON(r, 'configmap', 'web-config')).data).toEqual({ LOG: 'info' });
    expect((await r.run('get', 'configmap', 'extra')).code).toBe(1);
  });

  test('the ledger records the Blocked pass with every reason (code, object, file:line, field, message)', async () => {
    const h = await r.run('history', '-o', 'json');
    const items = JSON.parse(h.stdout).items;
    expect(items.map((p: any) => p.outcome)).toEqual(['Applied', 'Blocked']);
    const blocked = items[1];
    expect(blocked.commit).toBe(blockedSha);
    expect(blocked.changes).toEqual([]);
    const mixed = docs(cm('web-config', { LOG: 'debug' }), deploy('web', { labels: '{app: web, track: v2}' }));
    expect(blocked.reasons).toEqual([
      {
        code: 'ImmutableFieldChange',
        object: 'Deployment/default/web',
        file: 'app.yaml',
        line: docLine(mixed, 1),
        field: 'spec.selector',
        message: expect.stringMatching(/^app\.yaml:\d+: Deployment\/default\/web: spec\.selector is immutable.*rolling change/),
      },
      {
        code: 'ForceReplaceRefused',
        object: 'Service/default/web',
        file: 'svc.yaml',
        line: 1,
        field: 'metadata.annotations["kustomize.toolkit.fluxcd.io/force"]',
        message: expect.stringMatching(/^svc\.yaml:1: Service\/default\/web: annotation kustomize\.toolkit\.fluxcd\.io\/force: enabled/),
      },
    ]);
    const table = await r.run('history');
    expect(table.stdout).toMatch(/Blocked\s+\S+\s+ImmutableFieldChange \(\+1\)/);
  });

  test('the next good commit applies normally (the ConfigMap edit lands, the Deployment keeps its uid)', async () => {
    const uid = (await getJSON(r, 'deploy', 'web')).metadata.uid;
    r.write({ 'app.yaml': docs(cm('web-config', { LOG: 'debug' }), deploy('web')), 'svc.yaml': svc('web') }).commit('fixed');
    const good = await r.reconcile();
    expect(good.code).toBe(0);
    expect(good.json.outcome).toBe('Applied');
    expect(good.json.reasons).toEqual([]);
    expect((await getJSON(r, 'configmap', 'web-config')).data).toEqual({ LOG: 'debug' });
    expect((await getJSON(r, 'configmap', 'extra')).data).toEqual({ x: '1' });
    const d = await getJSON(r, 'deploy', 'web');
    expect(d.metadata.uid).toBe(uid);
    expect(d.status.availableReplicas).toBe(3);
    const items = JSON.parse((await r.run('history', '-o', 'json')).stdout).items;
    expect(items.map((p: any) => p.outcome)).toEqual(['Applied', 'Blocked', 'Applied']);
  });
});

// ---- the safe ways round --------------------------------------------------------------------

describe('removing a Deployment the safe way: scale to 0, then remove', () => {
  test('the removal is blocked while it serves, scaling to 0 applies, and the next pass prunes it with its ReplicaSets and pods', async () => {
    const r = new Repo();
    r.write({ 'app.yaml': appYaml, 'keep.yaml': cm('keep', { a: '1' }), 'keep2.yaml': cm('keep2', { a: '1' }) }).commit('v1');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    expect((await getJSON(r, 'pods')).items).toHaveLength(3);

    r.write({ 'app.yaml': cm('web-config', { LOG: 'info' }) }).commit('remove web at once');
    const refused = await r.reconcile();
    expect(refused.code).toBe(1);
    expect(refused.json.reasons.map(pick)).toEqual([{ code: 'ServingWorkloadPrune', object: 'Deployment/default/web' }]);
    expect((await getJSON(r, 'deploy', 'web')).status.readyReplicas).toBe(3);

    r.write({ 'app.yaml': docs(cm('web-config', { LOG: 'info' }), deploy('web', { replicas: 0 })) }).commit('scale web to 0');
    const scaled = await r.reconcile();
    expect(scaled.code).toBe(0);
    expect(scaled.json.outcome).toBe('Applied');
    expect((await getJSON(r, 'pods')).items).toHaveLength(0);
    const rsBefore = (await getJSON(r, 'rs')).items;
    expect(rsBefore).toHaveLength(1);

    r.write({ 'app.yaml': cm('web-config', { LOG: 'info' }) }).commit('remove web');
    const removed = await r.run('reconcile', '--repo', r.dir);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('pruned Deployment/default/web');
    expect((await r.run('get', 'deploy', 'web')).code).toBe(1);
    expect((await getJSON(r, 'rs')).items).toEqual([]);
    expect((await getJSON(r, 'pods')).items).toEqual([]);
    expect((await getJSON(r, 'configmap', 'keep')).data).toEqual({ a: '1' });
  });
});

interface Sample {
  at: number;
  /** readyPods: pods labelled app=web, Ready, not terminating (what the Service sends traffic to). */
  readyPods: number;
  /** available: status.availableReplicas of web + web-v2. */
  available: number;
}

describe('a selector change done the safe way (new name, shift, remove)', () => {
  test('web-v2 next to web, then web to 0, then web removed: every pass applies and availability never drops below 3', async () => {
    const r = new Repo();
    const web = deploy('web', { labels: '{app: web}' });
    const v2 = deploy('web-v2', { labels: '{app: web, track: v2}', image: 'web:2' });
    r.write({ 'web.yaml': web, 'svc.yaml': svc('web') }).commit('web');

    // In-process, as bench/reconcile.ts builds it: one simulation, one ledger, one source for every pass.
    const start = Date.UTC(2026, 0, 1);
    const simClock = new VirtualClock(start);
    const sim = new Simulation(simClock);
    const client = new SimClient(sim);
    const store = StateStore.open(r.state, 'write');
    const ledger = new Ledger(store);
    const source = await openSource({ repo: r.dir, ref: 'main', path: '', stateDir: r.state });

    const samples: Sample[] = [];
    let sampling = false;
    const ready = (p: KubeObject) => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    const sample = () => {
      if (!sampling) return;
      const readyPods = sim.api.list('Pod', 'default').filter((p) => p.metadata.labels?.app === 'web' && ready(p)).length;
      const available = ['web', 'web-v2'].reduce((n, name) => n + (sim.api.get('Deployment', 'default', name)?.status?.availableReplicas ?? 0), 0);
      samples.push({ at: simClock.now(), readyPods, available });
    };
    // Every stored change (pods created, Ready, deleted; status writes) and every instant the clock stops at.
    sim.api.watch(() => sample());
    const clock: Clock = {
      virtual: true,
      now: () => simClock.now(),
      sleepUntil: async (at) => {
        await simClock.sleepUntil(at);
        sim.fireDue();
        sample();
      },
    };
    const pass = async (): Promise<ReconcileResult> => {
      const res = await reconcileOnce({ world: { client, clock, ledger, wallNow: () => Date.now() }, source: { git: source, name: 'guard', url: r.dir, memo: newSourceMemo() }, rules: { timeoutMs: 300_000 }, hooks: { onProgress: sample } });
      sample();
      return res;
    };

    try {
      const first = await pass();
      expect(first.outcome).toBe('Applied');
      expect(sim.api.get('Deployment', 'default', 'web')!.status.availableReplicas).toBe(3);
      sampling = true;
      sample();

      r.write({ 'web-v2.yaml': v2 }).commit('A: add web-v2 with the new selector');
      const a = await pass();
      expect(a.outcome).toBe('Applied');
      expect(a.reasons).toEqual([]);
      expect(a.rollouts).toEqual([expect.objectContaining({ object: 'Deployment/default/web-v2', revision: 1, ok: true })]);
      const afterA = simClock.now();

      r.write({ 'web.yaml': deploy('web', { labels: '{app: web}', replicas: 0 }) }).commit('B: scale web to 0');
      const b = await pass();
      expect(b.outcome).toBe('Applied');
      expect(sim.api.get('Deployment', 'default', 'web')!.status.readyReplicas ?? 0).toBe(0);

      r.write({ 'web.yaml': null }).commit('C: remove web');
      const c = await pass();
      expect(c.outcome).toBe('Applied');
      expect(c.reasons).toEqual([]);
      expect(c.changes).toEqual([expect.objectContaining({ object: 'Deployment/default/web', action: 'prune' })]);

      expect(sim.api.get('Deployment', 'default', 'web')).toBeUndefined();
      const pods = sim.api.list('Pod', 'default');
      expect(pods).toHaveLength(3);
      expect(pods.every((p) => p.metadata.labels?.track === 'v2' && ready(p))).toBe(true);
      expect(sim.api.list('ReplicaSet', 'default').map((rs) => rs.metadata.ownerReferences?.[0]?.name)).toEqual(['web-v2']);

      // The sampling saw the whole sequence, including web-v2's pods coming up over cluster time.
      expect(samples.length).toBeGreaterThan(20);
      expect(afterA).toBeGreaterThan(start + 10_000);
      expect(new Set(samples.map((s) => s.at)).size).toBeGreaterThan(1);
      expect(Math.max(...samples.map((s) => s.readyPods))).toBe(6);
      const worst = samples.reduce((m, s) => (Math.min(s.readyPods, s.available) < Math.min(m.readyPods, m.available) ? s : m));
      expect({ readyPods: worst.readyPods >= 3, available: worst.available >= 3 }, JSON.stringify(worst)).toEqual({ readyPods: true, available: true });
      const history = ledger.passes().map((p) => p.outcome);
      expect(history).toEqual(['Applied', 'Applied', 'Applied', 'Applied']);
    } finally {
      store.close();
    }
  });
});

describe('a Deployment removed and re-added between two passes', () => {
  test('is one ordinary rolling update: Applied, revision 2, same uid, scale-up/down events, never a delete', async () => {
    const r = new Repo();
    r.write({ 'web.yaml': deploy('web'), 'svc.yaml': svc('web') }).commit('web v1');
    const first = await r.reconcile();
    expect(first.json.rollouts).toEqual([expect.objectContaining({ object: 'Deployment/default/web', revision: 1, ok: true })]);
    const d1 = await getJSON(r, 'deploy', 'web');
    const rs1 = (await getJSON(r, 'rs')).items.map((x: any) => x.metadata.name);
    expect(rs1).toHaveLength(1);
    const eventsBefore = (await getJSON(r, 'events')).items.length;

    r.write({ 'web.yaml': null }).commit('remove web');
    const head = r.write({ 'web.yaml': deploy('web', { image: 'web:2' }) }).commit('add web back with web:2');
    const second = await r.reconcile();
    expect(second.code).toBe(0);
    expect(second.json).toMatchObject({ outcome: 'Applied', commit: head, reasons: [] });
    expect(second.json.changes).toEqual([expect.objectContaining({ object: 'Deployment/default/web', action: 'update' })]);
    expect(second.json.rollouts).toEqual([expect.objectContaining({ object: 'Deployment/default/web', revision: 2, ok: true })]);

    const d2 = await getJSON(r, 'deploy', 'web');
    expect(d2.metadata.uid).toBe(d1.metadata.uid);
    expect(d2.metadata.creationTimestamp).toBe(d1.metadata.creationTimestamp);
    expect(d2.status.availableReplicas).toBe(3);
    // The old ReplicaSet is still there, scaled to 0: a deleted Deployment would have taken it along.
    const rs2 = (await getJSON(r, 'rs')).items;
    expect(rs2.map((x: any) => x.metadata.name)).toEqual(expect.arrayContaining(rs1));
    expect(rs2).toHaveLength(2);
    expect(rs2.find((x: any) => x.metadata.name === rs1[0]).spec.replicas).toBe(0);

    const events = (await getJSON(r, 'events')).items.slice(eventsBefore).filter((e: any) => e.involvedObject.kind === 'Deployment');
    const scaling = events.map((e: any) => e.message as string);
    expect(events.every((e: any) => e.reason === 'ScalingReplicaSet')).toBe(true);
    const newRs = rs2.find((x: any) => x.metadata.name !== rs1[0]).metadata.name;
    expect(scaling[0]).toMatch(new RegExp(`^Scaled up replica set ${newRs} to 1`));
    expect(scaling.some((m: string) => m.startsWith(`Scaled down replica set ${rs1[0]} to 2`))).toBe(true);
    expect(scaling[scaling.length - 1]).toMatch(new RegExp(`^Scaled down replica set ${rs1[0]} to 0`));
    // Rolling: the old ReplicaSet goes down one step at a time, interleaved with the new one going up.
    expect(scaling.filter((m: string) => m.includes(`Scaled down replica set ${rs1[0]}`)).length).toBeGreaterThan(1);
    // Nothing but a rolling update happened: the new ReplicaSet created pods, the old one deleted its 3 pods, one at a time.
    const allEvents = (await getJSON(r, 'events')).items.slice(eventsBefore);
    const kinds = allEvents.map((e: any) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}`);
    expect(new Set(kinds)).toEqual(new Set(['Deployment/web ScalingReplicaSet', `ReplicaSet/${newRs} SuccessfulCreate`, `ReplicaSet/${rs1[0]} SuccessfulDelete`]));
    expect(allEvents.filter((e: any) => e.reason === 'SuccessfulDelete').map((e: any) => e.message)).toEqual([1, 2, 3].map(() => expect.stringMatching(new RegExp(`^Deleted pod: ${rs1[0]}-`))));
    const history = JSON.parse((await r.run('history', 'deployment/web', '-o', 'json')).stdout).items;
    expect(history.map((h: any) => [h.revision, h.action, h.outcome])).toEqual([
      [1, 'create', 'Applied'],
      [2, 'update', 'Applied'],
    ]);
  });
});

// ---- apply -f ---------------------------------------------------------------------------------

describe('apply -f obeys the same rules', () => {
  const r = new Repo();
  const manifests = path.join(r.root, 'manifests');
  const write = (name: string, text: string) => {
    fs.mkdirSync(manifests, { recursive: true });
    fs.writeFileSync(path.join(manifests, name), text);
    return path.join(manifests, name);
  };

  test('a selector change exits 1 with the guard reason and writes nothing', async () => {
    const ok = await r.run('apply', '-f', write('web.yaml', deploy('web')));
    expect(ok.code, ok.stderr).toBe(0);
    const before = await snapshot(r);
    const text = docs(cm('web-config', { a: '1' }), deploy('web', { labels: '{app: web, track: v2}' }));
    const res = await r.run('apply', '-f', write('web.yaml', text));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`error: \\S*web\\.yaml:${docLine(text, 1)}: Deployment/default/web: spec\\.selector is immutable.*rolling change.*\\[ImmutableFieldChange\\]`));
    expect(res.stderr).toContain('error: nothing was applied: 1 of 2 objects were blocked or rejected');
    expect(res.stdout).toBe('');
    expect(await snapshot(r)).toEqual(before);
  });

  test('a Flux-force-annotated manifest exits 1 with ForceReplaceRefused and writes nothing', async () => {
    const before = await snapshot(r);
    const text = docs(cm('web-config', { a: '1' }), deploy('web', { image: 'web:2', annotations: { 'kustomize.toolkit.fluxcd.io/force': 'enabled' } }));
    const res = await r.run('apply', '-f', write('web.yaml', text));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error: \S*web\.yaml:\d+: Deployment\/default\/web: annotation kustomize\.toolkit\.fluxcd\.io\/force: enabled asks for delete \+ re-create.*\[ForceReplaceRefused\]/);
    expect(await snapshot(r)).toEqual(before);
    expect((await r.run('get', 'configmap', 'web-config')).code).toBe(1);
  });

  test('the same change without the annotation applies (control)', async () => {
    const res = await r.run('apply', '-f', write('web.yaml', deploy('web', { image: 'web:2' })));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('deployment.apps/web configured');
    expect((await getJSON(r, 'deploy', 'web')).spec.template.spec.containers[0].image).toBe('web:2');
  });
});

// ---- impacts, diff, --max-prune --------------------------------------------------------------

describe('impacts: reported by reconcile and diff, blocking only when asked', () => {
  test('a Recreate template change without --block-impact applies with a warning and impacts in -o json', async () => {
    const r = new Repo();
    r.write({ 'web.yaml': deploy('web', { strategy: '{type: Recreate}' }) }).commit('v1');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    r.write({ 'web.yaml': deploy('web', { strategy: '{type: Recreate}', image: 'web:2' }) }).commit('v2');
    const res = await r.reconcile();
    expect(res.code).toBe(0);
    expect(res.json.outcome).toBe('Applied');
    expect(res.json.impacts).toEqual([{ code: 'RecreateDowntime', object: 'Deployment/default/web', detail: expect.stringContaining('strategy Recreate stops all 3 pod(s)'), message: expect.stringContaining('Deployment/default/web: strategy Recreate') }]);
    expect(res.json.warnings).toEqual([expect.stringMatching(/^RecreateDowntime: Deployment\/default\/web: strategy Recreate/)]);
    expect(res.json.rollouts).toEqual([expect.objectContaining({ revision: 2, ok: true })]);

    r.write({ 'web.yaml': deploy('web', { strategy: '{type: Recreate}', image: 'web:3' }) }).commit('v3');
    const text = await r.run('reconcile', '--repo', r.dir);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/^warning: RecreateDowntime: Deployment\/default\/web: strategy Recreate/m);
    expect(text.stdout).toContain('~ Deployment/default/web  [RecreateDowntime]');
  });

  test('diff reports impacts and blocked entries, text and json, and writes nothing', async () => {
    const r = new Repo();
    r.write({ 'web.yaml': deploy('web', { strategy: '{type: Recreate}' }), 'api.yaml': deploy('api') }).commit('v1');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    const before = await snapshot(r);
    r.write({ 'web.yaml': deploy('web', { strategy: '{type: Recreate}', image: 'web:2' }), 'api.yaml': deploy('api', { labels: '{app: api, v: "2"}' }) }).commit('v2');

    const text = await r.run('diff', '--repo', r.dir);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('+++ git/Deployment/default/web');
    expect(text.stdout).toContain('+++ git/Deployment/default/api');
    expect(text.stderr).toMatch(/^warning: Deployment\/default\/web: strategy Recreate .* \[RecreateDowntime\]$/m);
    expect(text.stderr).toMatch(/^blocked: api\.yaml:1: Deployment\/default\/api: spec\.selector is immutable.* \[ImmutableFieldChange\]$/m);

    const json = await r.run('diff', '--repo', r.dir, '-o', 'json');
    expect(json.code).toBe(1);
    const j = JSON.parse(json.stdout);
    expect(j.blocked).toBe(true);
    expect(j.impacts.map((i: any) => [i.code, i.object])).toEqual([['RecreateDowntime', 'Deployment/default/web']]);
    expect(j.reasons.map(pick)).toEqual([{ code: 'ImmutableFieldChange', object: 'Deployment/default/api', file: 'api.yaml', line: 1, field: 'spec.selector' }]);
    expect(j.changes.find((c: any) => c.object === 'Deployment/default/api')).toMatchObject({ action: 'blocked', intended: 'update' });
    expect(j.changes.find((c: any) => c.object === 'Deployment/default/web')).toMatchObject({ action: 'update' });

    expect(await snapshot(r)).toEqual(before);
    expect(JSON.parse((await r.run('history', '-o', 'json')).stdout).items).toHaveLength(1);
  });
});

describe('--max-prune', () => {
  test('raises the limit so a 3-object prune passes', async () => {
    const r = new Repo();
    r.write(sixConfigMaps).commit('six');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    r.write({ 'cm/a.yaml': null, 'cm/b.yaml': null, 'cm/c.yaml': null }).commit('drop three');
    const refused = await r.reconcile();
    expect(refused.json.outcome).toBe('Blocked');
    expect(new Set(refused.json.reasons.map((x: any) => x.code))).toEqual(new Set(['PruneLimitExceeded']));
    const tooLow = await r.reconcile('--max-prune', '2');
    expect(tooLow.json.outcome).toBe('Blocked');
    expect(tooLow.json.reasons[0].message).toContain('more than the limit of 2 per pass');

    const res = await r.reconcile('--max-prune', '3');
    expect(res.code).toBe(0);
    expect(res.json.outcome).toBe('Applied');
    expect(res.json.changes.filter((c: any) => c.action === 'prune').map((c: any) => c.object).sort()).toEqual(['ConfigMap/default/cm-a', 'ConfigMap/default/cm-b', 'ConfigMap/default/cm-c']);
    const left = (await getJSON(r, 'configmaps')).items.map((c: any) => c.metadata.name).sort();
    expect(left).toEqual(['cm-d', 'cm-e', 'cm-f']);
  });

  test('a percentage works too, and a malformed value is a usage error', async () => {
    const r = new Repo();
    r.write(sixConfigMaps).commit('six');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    r.write({ 'cm/a.yaml': null, 'cm/b.yaml': null, 'cm/c.yaml': null }).commit('drop three');
    const bad = await r.run('reconcile', '--repo', r.dir, '--max-prune', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --max-prune "lots"');
    expect((await r.reconcile('--max-prune', '50%')).json.outcome).toBe('Applied');
    expect((await getJSON(r, 'configmaps')).items).toHaveLength(3);
  });
});

describe('what the guard allows, end to end', () => {
  test('a Service gets a clusterIP allocated and may change ports; a PVC may grow; a mutable ConfigMap may change', async () => {
    const r = new Repo();
    r.write({ 'svc.yaml': svc('web'), 'pvc.yaml': pvc('1Gi'), 'cfg.yaml': cm('settings', { a: '1' }), 'imm.yaml': cm('frozen', { a: '1' }, { immutable: true }) }).commit('v1');
    expect((await r.reconcile()).json.outcome).toBe('Applied');
    const ip = (await getJSON(r, 'svc', 'web')).spec.clusterIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    r.write({ 'svc.yaml': svc('web', undefined, 8080), 'pvc.yaml': pvc('5Gi'), 'cfg.yaml': cm('settings', { a: '2' }), 'imm.yaml': cm('frozen', { a: '1' }, { immutable: true }).replace('name: frozen', 'name: frozen\n  labels: {team: x}') }).commit('v2');
    const res = await r.reconcile();
    expect(res.code, JSON.stringify(res.json.reasons)).toBe(0);
    expect(res.json.outcome).toBe('Applied');
    const s = await getJSON(r, 'svc', 'web');
    expect(s.spec.clusterIP).toBe(ip);
    expect(s.spec.ports[0].port).toBe(8080);
    expect((await getJSON(r, 'PersistentVolumeClaim', 'data')).spec.resources.requests.storage).toBe('5Gi');
    expect((await getJSON(r, 'configmap', 'settings')).data).toEqual({ a: '2' });
    expect((await getJSON(r, 'configmap', 'frozen')).metadata.labels).toEqual({ team: 'x' });
  });
});
