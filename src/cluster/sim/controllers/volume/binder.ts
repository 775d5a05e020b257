/**
 * Volume binding, as far as a simulated cluster needs it: a pending claim without a class gets the
 * default StorageClass (retroactive default class assignment), and a claim whose StorageClass
 * exists is bound at once to a freshly provisioned PersistentVolume `pvc-<claim uid>` (as a
 * dynamic provisioner with `Immediate` binding would; `WaitForFirstConsumer` is not modelled).
 * A claim with `storageClassName: ""` or an unknown class stays Pending.
 */
import type { KubeObject } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';

/** DEFAULT_CLASS_ANNOTATION marks the cluster's default StorageClass. */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** defaultStorageClass is the default StorageClass (the newest, when several claim to be, as the admission plugin picks). */
export function defaultStorageClass(ctx: ControllerContext): KubeObject | undefined {
  const defaults = ctx.api.list('StorageClass').filter((sc) => sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  return defaults.sort((a, b) => Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name))[0];
}

/** syncClaim binds one claim when it can; does nothing to a bound or missing claim. */
export function syncClaim(ctx: ControllerContext, namespace: string, name: string): void {
  let pvc = ctx.api.get('PersistentVolumeClaim', namespace, name);
  if (!pvc || pvc.metadata.deletionTimestamp || pvc.status?.phase === 'Bound' || pvc.spec?.volumeName) return;
  if (pvc.spec?.storageClassName === undefined || pvc.spec?.storageClassName === null) {
    const def = defaultStorageClass(ctx);
    if (!def) {
      if (pvc.status?.phase !== 'Pending') ctx.api.updateStatus('PersistentVolumeClaim', namespace, name, { phase: 'Pending' });
      return;
    }
    pvc = ctx.api.writeDirect({ ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata.name } });
  }
  const sc = pvc.spec.storageClassName ? ctx.api.get('StorageClass', undefined, pvc.spec.storageClassName) : undefined;
  if (!sc) {
    if (pvc.status?.phase !== 'Pending') ctx.api.updateStatus('PersistentVolumeClaim', namespace, name, { phase: 'Pending' });
    return;
  }
  const storage = pvc.spec?.resources?.requests?.storage ?? '1Gi';
  const accessModes = pvc.spec?.accessModes ?? ['ReadWriteOnce'];
  const pvName = `pvc-${pvc.metadata.uid}`;
  if (!ctx.api.get('PersistentVolume', undefined, pvName)) {
    ctx.api.create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': String(sc.provisioner ?? 'mflux.dev/simulated') } },
      spec: {
        accessModes,
        capacity: { storage },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path: `/var/local-path-provisioner/${pvName}_${namespace}_${name}`, type: 'DirectoryOrCreate' },
      },
    });
    ctx.api.updateStatus('PersistentVolume', undefined, pvName, { phase: 'Bound' });
  }
  const annotations = { ...(pvc.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
  pvc = ctx.api.writeDirect({ ...pvc, metadata: { ...pvc.metadata, annotations }, spec: { ...pvc.spec, volumeName: pvName } });
  ctx.api.updateStatus('PersistentVolumeClaim', namespace, name, { phase: 'Bound', accessModes, capacity: { storage } });
}
