/**
 * Serving capacity in the PR check: findings about Services, from the head's objects (static) and
 * from the ServingMeter's counts while head rolls out (dynamic).
 *
 * Static, from what head renders (plus the Services already in the cluster that head keeps):
 * - ServiceSelectsNothing (error): a Service's selector matches no pod template of any workload
 *   (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, bare Pod) in its namespace.
 * - TargetPortNotFound (error): a named targetPort that no container of any selected template declares.
 * - IngressBackendMissing (error): an Ingress backend names a Service that does not exist in its
 *   namespace after the change, or a port (number or name) that Service does not have.
 * A problem that already holds at base is reported as info: the PR did not cause it.
 *
 * Dynamic, per Service the change can affect (apply/serving.ts servicesToWatch):
 * - ServiceOutage (error): it had ready endpoints before the apply and reaches 0 during the
 *   rollout (or is still at 0 when it ends), with the cluster seconds it spends at 0.
 * - CapacityDrop (warning): ready endpoints fall below `minServingRatio` (policy, default 0.5) of
 *   what it should serve, without reaching 0. Worked example: 4 replicas, maxUnavailable 3 → at
 *   worst 1 ready of 4 desired = 0.25 < 0.5.
 */
import { formatDuration, type KubeObject } from '../core/index.js';
import { LabelIndex, type PodTemplate, podTemplateOf, resolveTargetPort, selectsTemplate, serviceSelector, servicePorts } from '../cluster/serving.js';
import type { ServingMeasure } from '../apply/index.js';
import type { Origin } from '../manifests/index.js';
import type { PlanEntry } from '../plan/index.js';
import type { Finding, ServingReport } from './report.js';

/** DEFAULT_MIN_SERVING_RATIO is the policy's default `minServingRatio`: warn when fewer than half the desired endpoints are ready. */
export const DEFAULT_MIN_SERVING_RATIO = 0.5;

/** Rendered is one object of a commit and where it is defined. */
export interface Rendered {
  object: KubeObject;
  origin?: Origin;
}

/** ServingProblem is a static finding plus the key that tells whether base had the same problem. */
export interface ServingProblem extends Finding {
  key: string;
}

const nsOf = (o: KubeObject) => o.metadata.namespace || 'default';
const refOf = (o: KubeObject) => `${o.kind}/${nsOf(o)}/${o.metadata.name}`;
const selectorText = (s: Record<string, string>) => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',') || '{}';

/**
 * servingProblems finds the static problems of one commit's objects: `rendered` are its objects
 * (with origins), `otherServices` the Services the cluster keeps besides them (live ones the commit
 * does not prune). See the file comment for the rules.
 */
export function servingProblems(rendered: Rendered[], otherServices: KubeObject[] = []): ServingProblem[] {
  const out: ServingProblem[] = [];
  const templates: (PodTemplate & { ref: string })[] = [];
  for (const r of rendered) {
    const t = podTemplateOf(r.object);
    if (t) templates.push({ ...t, ref: refOf(r.object) });
  }
  // Templates by namespace, then label (LabelIndex): a repository of thousands of Services checks each against its few candidates only.
  const inNamespace = new Map<string, (PodTemplate & { ref: string })[]>();
  for (const t of templates) {
    const list = inNamespace.get(t.namespace);
    if (list) list.push(t);
    else inNamespace.set(t.namespace, [t]);
  }
  const byNamespace = new Map([...inNamespace].map(([ns, list]) => [ns, new LabelIndex(list, (t) => t.labels)] as const));
  const candidates = (svc: KubeObject, selector: Record<string, string>) => byNamespace.get(nsOf(svc))?.candidates(selector) ?? [];
  const at = (r: Rendered, f: Omit<ServingProblem, 'severity' | 'object' | 'file' | 'line'>): ServingProblem => ({ severity: 'error', object: refOf(r.object), file: r.origin?.file ?? null, line: r.origin?.line ?? null, ...f });

  const services = new Map<string, KubeObject>();
  for (const s of otherServices) services.set(refOf(s), s);
  for (const r of rendered) if (r.object.kind === 'Service') services.set(refOf(r.object), r.object);

  for (const r of rendered) {
    if (r.object.kind !== 'Service') continue;
    const svc = r.object;
    const selector = serviceSelector(svc);
    if (!selector) continue; // endpoints managed by hand (or ExternalName): nothing to match
    const ref = refOf(svc);
    const selected = candidates(svc, selector).filter((t) => selectsTemplate(svc, t));
    if (selected.length === 0) {
      const near = templates.filter((t) => t.namespace === nsOf(svc) && Object.keys(selector).some((k) => t.labels[k] === selector[k]));
      const hint = near.length ? ` (${near.map((t) => `${t.ref} has ${selectorText(t.labels)}`).slice(0, 3).join('; ')})` : '';
      out.push(at(r, {
        code: 'ServiceSelectsNothing',
        key: `ServiceSelectsNothing ${ref}`,
        message: `${ref}: selector ${selectorText(selector)} matches no pod template in namespace ${nsOf(svc)}${hint}, so it would have no endpoints; fix: make the selector a subset of a workload's pod template labels, or add the labels to the template`,
      }));
      continue;
    }
    for (const p of servicePorts(svc)) {
      if (typeof p.targetPort !== 'string') continue;
      if (selected.some((t) => resolveTargetPort(p, t.spec) !== undefined)) continue;
      const port = p.name ? `port ${p.name} (${p.port})` : `port ${p.port}`;
      out.push(at(r, {
        code: 'TargetPortNotFound',
        key: `TargetPortNotFound ${ref} ${p.port} ${p.targetPort}`,
        message: `${ref}: ${port} targets the container port named "${p.targetPort}" (${p.protocol}), which no container of ${selected.map((t) => t.ref).join(', ')} declares, so no pod serves it; fix: name a container port "${p.targetPort}" (ports: [{name: ${p.targetPort}, containerPort: N}]) or set targetPort to the number`,
      }));
    }
  }

  for (const r of rendered) {
    if (r.object.kind !== 'Ingress' || !String(r.object.apiVersion ?? '').startsWith('networking.k8s.io/')) continue;
    const ing = r.object;
    const ref = refOf(ing);
    const backends: [string, any][] = [];
    if (ing.spec?.defaultBackend) backends.push(['spec.defaultBackend', ing.spec.defaultBackend]);
    (ing.spec?.rules ?? []).forEach((rule: any, i: number) => (rule?.http?.paths ?? []).forEach((p: any, j: number) => backends.push([`spec.rules[${i}].http.paths[${j}].backend`, p?.backend])));
    for (const [path, b] of backends) {
      const s = b?.service;
      if (!s?.name) continue; // a resource backend is not a Service
      const svc = services.get(`Service/${nsOf(ing)}/${s.name}`);
      const wanted = s.port?.number ?? s.port?.name;
      if (!svc) {
        out.push(at(r, {
          code: 'IngressBackendMissing',
          key: `IngressBackendMissing ${ref} ${path} ${s.name}`,
          message: `${ref}: ${path} routes to Service "${s.name}", which does not exist in namespace ${nsOf(ing)} after the change; fix: add the Service, or point the backend at one that exists`,
        }));
        continue;
      }
      const ports = servicePorts(svc);
      const found = s.port?.number !== undefined ? ports.some((p) => p.port === s.port.number) : s.port?.name !== undefined ? ports.some((p) => p.name === s.port.name) : true;
      if (!found) {
        const has = ports.map((p) => (p.name ? `${p.name} (${p.port})` : String(p.port))).join(', ') || 'none';
        out.push(at(r, {
          code: 'IngressBackendMissing',
          key: `IngressBackendMissing ${ref} ${path} ${s.name} ${wanted}`,
          message: `${ref}: ${path} routes to port ${typeof wanted === 'string' ? `"${wanted}"` : wanted} of Service/${nsOf(ing)}/${s.name}, which has ports ${has}; fix: use one of its ports, or add the port to the Service`,
        }));
      }
    }
  }
  return out;
}

/** newProblems keeps head's problems as errors and turns those base already had into info (the PR did not cause them). */
export function newProblems(head: ServingProblem[], base: ServingProblem[]): Finding[] {
  const before = new Set(base.map((p) => p.key));
  return head.map(({ key, ...f }) => (before.has(key) ? { ...f, severity: 'info', message: `${f.message} (already so at base)` } : f));
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** servingReports turns the meter's measures into the report's `services`. */
export function servingReports(measures: ServingMeasure[]): ServingReport[] {
  return measures.map((m) => ({
    object: m.ref,
    readyBefore: m.readyBefore,
    minReady: m.minReady,
    minReadyAtSeconds: seconds(m.minReadyAtMs),
    peakReady: m.peakReady,
    peakEndpoints: m.peakEndpoints,
    readyAfter: m.readyAfter,
    desired: m.desired,
    minRatio: m.desired > 0 ? Math.round((m.minReady / m.desired) * 1000) / 1000 : null,
    zeroSeconds: seconds(m.zeroMs),
    recovers: m.recovered,
  }));
}

/** ServingContext is what the dynamic findings point at: the plan (to find the cause) and where each object is defined. */
export interface ServingContext {
  entries: PlanEntry[];
  originOf: (ref: string) => Origin | undefined;
  minServingRatio: number;
}

/** cause names what made a Service lose endpoints, where to fix it, and how. */
function cause(m: ServingMeasure, ctx: ServingContext): { ref: string; fix: string } {
  const svcEntry = ctx.entries.find((e) => e.ref === m.ref);
  const before = svcEntry?.live ? serviceSelector(svcEntry.live) : undefined;
  const after = svcEntry?.applied ? serviceSelector(svcEntry.applied) : undefined;
  if (svcEntry?.action === 'update' && JSON.stringify(before) !== JSON.stringify(after)) {
    return { ref: m.ref, fix: 'change labels and selector in two commits: first add the new labels to the pod template (keeping the old selector) and let it roll out, then change the selector' };
  }
  // The workloads behind it that the change touches (any changed workload of its namespace when Git does not hold the Service).
  const svc = svcEntry?.applied ?? svcEntry?.live;
  const selects = (o: KubeObject | undefined) => {
    const t = o && podTemplateOf(o);
    return t !== undefined && (svc ? selectsTemplate(svc, t) : t.namespace === m.namespace);
  };
  const selected = ctx.entries.filter((e) => e.kind !== 'Service' && (e.action === 'update' || e.action === 'prune') && (selects(e.live) || selects(e.applied)));
  const recreate = selected.find((e) => e.applied?.spec?.strategy?.type === 'Recreate');
  if (recreate) return { ref: recreate.ref, fix: `use strategy RollingUpdate with maxUnavailable below replicas for ${recreate.ref} (Recreate stops every pod before starting new ones)` };
  const pruned = selected.find((e) => e.action === 'prune');
  if (pruned) return { ref: pruned.ref, fix: `move the Service to the replacement workload before removing ${pruned.ref}` };
  const w = selected[0];
  return { ref: w?.ref ?? m.ref, fix: `keep some pods Ready during the rollout: maxUnavailable below replicas${w ? ` for ${w.ref}` : ''}, or more replicas` };
}

/** servingFindings judges the measures (see the file comment): ServiceOutage and CapacityDrop, each at the file:line of its cause. */
export function servingFindings(measures: ServingMeasure[], ctx: ServingContext): Finding[] {
  const out: Finding[] = [];
  for (const m of measures) {
    if (!m.existedBefore || m.readyBefore === 0) continue; // nothing was served before: nothing to lose
    const ratio = m.desired > 0 ? m.minReady / m.desired : 1;
    const outage = m.minReady === 0;
    if (!outage && !(ratio < ctx.minServingRatio && m.minReady < m.readyBefore)) continue;
    const c = cause(m, ctx);
    const at = ctx.originOf(c.ref) ?? ctx.originOf(m.ref);
    const where = { object: m.ref, file: at?.file ?? null, line: at?.line ?? null };
    if (outage) {
      const zero = formatDuration(Math.round(m.zeroMs));
      const how = m.recovered ? `for ${zero} (from +${formatDuration(m.zeroFromMs ?? 0)} until pods it selects are Ready)` : `from +${formatDuration(m.zeroFromMs ?? 0)} and does not recover (still 0 ready when the rollout ends)`;
      out.push({ severity: 'error', code: 'ServiceOutage', ...where, message: `${m.ref}: ready endpoints fall from ${m.readyBefore} to 0 ${how}: requests fail meanwhile; fix: ${c.fix}` });
    } else {
      out.push({
        severity: 'warning',
        code: 'CapacityDrop',
        ...where,
        message: `${m.ref}: ready endpoints fall to ${m.minReady} of ${m.desired} desired (${Math.round(ratio * 100)}%, below minServingRatio ${ctx.minServingRatio}) at +${formatDuration(m.minReadyAtMs)}; fix: ${c.fix}`,
      });
    }
  }
  return out;
}
