/**
 * A native kustomize (v5.5) build: resources, components, generators with kustomize's hash,
 * the builtin transformers in kustomize's order, replacements, name references and the legacy
 * output order — checked object for object against `kubectl kustomize`. A folder without a
 * kustomization is built as Flux's kustomize-controller would generate one.
 */
import fjp from 'fast-json-patch';
import { MfluxError } from '../core/errors.js';
import { cloneObject, type KubeObject } from '../core/object.js';
import {
  COMMON_ANNOTATION_SPECS,
  COMMON_LABEL_SPECS,
  IMAGE_SPECS,
  NAMESPACE_SPECS,
  NAME_REFERENCES,
  REPLICA_SPECS,
  TEMPLATE_LABEL_SPECS,
  gvkOf,
  gvkSelected,
  matchesFieldSpec,
  visitFieldSpec,
  type FieldSpec,
  type Gvk,
} from './fieldspec.js';
import { nameSuffixHash } from './hash.js';
import { matchesSelector } from './selector.js';
import { strategicMerge } from './smp.js';
import type { RenderOptions, RenderedDocument, TreeEntry, TreeReader } from './types.js';
import { parseYamlDocuments, parseYamlValue } from './yaml.js';

type Json = any;

/** KUSTOMIZATION_FILE_NAMES are the file names kustomize recognises, in its order. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'images',
  'imageTags',
  'replicas',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'replacements',
  'transformers',
  'generators',
  'sortOptions',
]);

const UNSUPPORTED_ADVICE: Record<string, string> = {
  helmCharts: 'Helm charts are not rendered; commit the rendered manifests (helm template) instead',
  helmChartInflationGenerator: 'Helm charts are not rendered; commit the rendered manifests (helm template) instead',
  helmGlobals: 'Helm charts are not rendered; commit the rendered manifests (helm template) instead',
  vars: 'vars are deprecated in kustomize; use replacements',
  openapi: 'custom OpenAPI schemas are not supported; remove the field',
  crds: 'CRD schemas for name references are not supported; remove the field',
  configurations: 'custom transformer configurations are not supported; use transformers with explicit fieldSpecs',
  validators: 'validator plugins are never run; remove the field',
  buildMetadata: 'build metadata annotations are not supported; remove the field',
};

/** Id is a resource identity: group, version, kind, name and the raw namespace ('' when unset). */
interface Id extends Gvk {
  name: string;
  namespace: string;
}

/** Res is an object in the build plus kustomize's bookkeeping (previous ids, prefixes, generator flags). */
interface Res {
  obj: Json;
  file: string;
  line: number;
  kusts: string[];
  prev: Id[];
  prefixes: string[];
  suffixes: string[];
  needsHash: boolean;
  behavior: 'create' | 'merge' | 'replace';
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'RuntimeClass',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'ComponentStatus',
]);
const NOT_A_NAMESPACE = '_non_namespaceable_';

function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

function effNs(id: { kind: string; namespace: string }): string {
  if (isClusterScoped(id.kind)) return NOT_A_NAMESPACE;
  return id.namespace === '' || id.namespace === 'default' ? 'default' : id.namespace;
}

function curId(r: Res): Id {
  // gvkOf's fields written out: this runs for every object at every level, and a spread costs.
  const o = r.obj;
  const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const slash = av.lastIndexOf('/');
  const m = o.metadata;
  return { group: slash < 0 ? '' : av.slice(0, slash), version: slash < 0 ? av : av.slice(slash + 1), kind: typeof o.kind === 'string' ? o.kind : '', name: String(m?.name ?? ''), namespace: String(m?.namespace ?? '') };
}

function orgId(r: Res): Id {
  return r.prev[0] ?? curId(r);
}

function allIds(r: Res): Id[] {
  return [...r.prev, curId(r)];
}

function idEquals(a: Id, b: Id): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind && a.name === b.name && effNs(a) === effNs(b);
}

function idString(id: Id): string {
  const gv = id.group ? `${id.group}/${id.version}` : id.version;
  return `${id.kind}.${gv || '[noVer]'}/${id.name}${id.namespace ? `.${id.namespace}` : ''}`;
}

function storePreviousId(r: Res): void {
  const c = curId(r);
  r.prev.push({ ...c, namespace: effNs(c) === NOT_A_NAMESPACE ? '' : effNs(c) });
}

function isMap(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function asStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(v)) for (const [k, x] of Object.entries(v)) out[k] = x === null || x === undefined ? '' : String(x);
  return out;
}

function asArray(v: unknown): Json[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

// ---------- paths and the reader ----------

/** joinPath joins and normalises POSIX paths relative to the tree root; a result that climbs above the root starts with "..". */
export function joinPath(...parts: string[]): string {
  const out: string[] = [];
  for (const part of parts) {
    for (const seg of part.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
        else out.push('..');
      } else out.push(seg);
    }
  }
  return out.join('/');
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

function looksRemote(p: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p) || /^git@/.test(p) || /^git::/.test(p) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(p) || /\?(ref|version|submodules|timeout)=/.test(p);
}

/** Where a field's value sits in a kustomization file, for messages. */
interface KFile {
  dir: string;
  path: string;
  text: string;
  data: Record<string, Json>;
}

function lineOf(k: KFile, field: string, needle?: string): number {
  const lines = k.text.split(/\r?\n/);
  const start = lines.findIndex((l) => new RegExp(`^${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`).test(l));
  if (needle !== undefined && needle !== '') {
    for (let i = Math.max(start, 0); i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  }
  return start < 0 ? 1 : start + 1;
}

class Build {
  private readonly lists = new Map<string, Promise<TreeEntry[] | null>>();
  private readonly stack: string[] = [];
  /** trackers collect the inputs (f:file, d:folder) each folder build in progress reads. */
  private readonly trackers: Set<string>[] = [];
  readonly warnings: string[] = [];

  constructor(
    private readonly reader: TreeReader,
    private readonly opts: RenderOptions = {},
  ) {}

  private touch(key: string): void {
    for (const t of this.trackers) t.add(key);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.onWarning?.(message);
  }

  list(dir: string): Promise<TreeEntry[] | null> {
    this.touch(`d:${dir}`);
    let p = this.lists.get(dir);
    if (!p) {
      p = Promise.resolve()
        .then(() => this.reader.list(dir))
        .catch(() => null);
      this.lists.set(dir, p);
    }
    return p;
  }

  async kindOf(path: string): Promise<'file' | 'dir' | null> {
    if (path === '') return 'dir';
    const entries = await this.list(dirname(path));
    const e = entries?.find((x) => x.name === basename(path));
    return e ? e.type : null;
  }

  async readBytes(path: string): Promise<Uint8Array> {
    this.touch(`f:${path}`);
    const v = await this.reader.readFile(path);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(path));
  }

  /** resolve turns a path written in a kustomization into a tree path, refusing remote and escaping ones. */
  resolve(k: KFile, field: string, rel: string): string {
    if (typeof rel !== 'string' || rel === '') throw new MfluxError('KustomizeError', `${field}: an entry is empty or not a string`, { subject: `${k.path}:${lineOf(k, field)}` });
    if (looksRemote(rel)) {
      throw new MfluxError('KustomizeUnsupported', `${field}: remote resource "${rel}" is not fetched; vendor it into the repository or point a separate source at it`, {
        subject: `${k.path}:${lineOf(k, field, rel)}`,
      });
    }
    const p = rel.startsWith('/') ? '..' : joinPath(k.dir, rel);
    if (p === '..' || p.startsWith('../')) {
      throw new MfluxError('PathEscape', `${field}: "${rel}" is outside the source root; keep every file the build reads inside it`, { subject: `${k.path}:${lineOf(k, field, rel)}` });
    }
    return p;
  }

  async findKustomization(dir: string): Promise<string | null> {
    const entries = (await this.list(dir)) ?? [];
    const found = KUSTOMIZATION_FILE_NAMES.filter((n) => entries.some((e) => e.type === 'file' && e.name === n));
    if (found.length > 1) throw new MfluxError('KustomizeError', `found multiple kustomization files (${found.join(', ')}); keep one`, { subject: dir || '.' });
    return found.length === 0 ? null : joinPath(dir, found[0]!);
  }

  async loadKustomization(dir: string, file: string): Promise<KFile> {
    const text = await this.readText(file);
    const docs = parseYamlDocuments(text, file);
    const data = (docs[0]?.value ?? {}) as Record<string, Json>;
    if (!isMap(data)) throw new MfluxError('KustomizeError', 'a kustomization must be a YAML mapping', { subject: `${file}:1` });
    const k: KFile = { dir, path: file, text, data };
    for (const key of Object.keys(data)) {
      if (SUPPORTED_FIELDS.has(key)) continue;
      const advice = UNSUPPORTED_ADVICE[key] ?? 'this field is not implemented by mini-flux; remove it or render the manifests before committing';
      throw new MfluxError('KustomizeUnsupported', `${key}: ${advice}`, { subject: `${file}:${lineOf(k, key)}` });
    }
    return k;
  }

  // ---------- accumulation ----------

  /**
   * buildDir builds a folder: its kustomization, or Flux's generated one when it has none. A
   * folder built on its own (not a component, which works on its parent's objects) is taken from
   * the cache when every input it read last time still has the same version.
   */
  async buildDir(dir: string, isComponent: boolean, ra: Res[], from?: KFile): Promise<Res[]> {
    const cache = this.opts.cache;
    const stat = this.reader.stat?.bind(this.reader);
    // The top folder is not kept: its result is cloned on every use, and a pass at an unchanged tree never renders.
    if (isComponent || !cache || !stat || this.stack.length === 0) return this.buildDirNow(dir, isComponent, ra, from);
    const hit = cache.get(dir);
    if (hit && !this.stack.includes(dir)) {
      let fresh = true;
      for (const [key, version] of hit.reads) {
        if ((await stat(key)) !== version) {
          fresh = false;
          break;
        }
      }
      if (fresh) {
        for (const key of hit.reads.keys()) this.touch(key);
        for (const w of hit.warnings) this.warn(w);
        if (this.opts.stats) this.opts.stats.reused++;
        return cloneObject(hit.result as Res[]);
      }
    }
    const reads = new Set<string>();
    const firstWarning = this.warnings.length;
    this.trackers.push(reads);
    let res: Res[];
    try {
      res = await this.buildDirNow(dir, isComponent, ra, from);
    } finally {
      this.trackers.splice(this.trackers.indexOf(reads), 1);
    }
    if (this.opts.stats) this.opts.stats.built++;
    const versions = new Map<string, string | undefined>();
    for (const key of reads) versions.set(key, await stat(key));
    cache.set(dir, { reads: versions, result: cloneObject(res), warnings: this.warnings.slice(firstWarning) });
    return res;
  }

  private async buildDirNow(dir: string, isComponent: boolean, ra: Res[], from?: KFile): Promise<Res[]> {
    const kpath = await this.findKustomization(dir);
    if (this.stack.includes(dir)) {
      const cycle = [...this.stack.slice(this.stack.indexOf(dir)), dir].map((d) => d || '.').join(' -> ');
      throw new MfluxError('KustomizeError', `resources: cycle between kustomizations: ${cycle}`, { subject: from ? `${from.path}:${lineOf(from, 'resources')}` : dir || '.' });
    }
    this.stack.push(dir);
    try {
      if (!kpath) {
        if (isComponent) throw new MfluxError('KustomizeError', `components: "${dir}" has no kustomization file of kind Component`, { subject: from ? `${from.path}:${lineOf(from, 'components', basename(dir))}` : dir });
        return await this.generated(dir);
      }
      const k = await this.loadKustomization(dir, kpath);
      const kind = k.data.kind ?? 'Kustomization';
      if (isComponent && kind !== 'Component') throw new MfluxError('KustomizeError', `components: expected kind 'Component' for path '${dir}' but got '${kind}'`, { subject: `${kpath}:1` });
      if (!isComponent && kind === 'Component') throw new MfluxError('KustomizeError', `resources: expected kind != 'Component' for path '${dir}'; list it under components`, { subject: `${kpath}:1` });
      return await this.accumulate(k, isComponent ? ra : []);
    } finally {
      this.stack.pop();
    }
  }

  /** generated builds a folder without a kustomization as Flux does: every .yaml/.yml below it, a sub-folder with its own kustomization taken whole. */
  async generated(dir: string): Promise<Res[]> {
    const ra: Res[] = [];
    const seen = new Set<string>();
    const walk = async (d: string): Promise<void> => {
      const entries = [...((await this.list(d)) ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // A Helm chart's templates are not YAML until Helm renders them: refuse the chart whole instead of reporting each template's syntax errors.
      if (entries.some((e) => e.type !== 'dir' && e.name === 'Chart.yaml')) {
        throw new MfluxError('KustomizeUnsupported', `${d || '.'} is a Helm chart; mflux renders plain manifests and Kustomize, not Helm templates: commit the output of \`helm template\` as manifests, or point --path at a folder of manifests`, { subject: `${joinPath(d, 'Chart.yaml')}:1` });
      }
      for (const e of entries) {
        const p = joinPath(d, e.name);
        if (e.type === 'dir') {
          if (await this.findKustomization(p)) appendAll(ra, await this.buildDir(p, false, [], undefined), p, seen);
          else await walk(p);
        } else if (/\.ya?ml$/.test(e.name)) {
          appendAll(ra, await this.readResources(p, true), p, seen);
        }
      }
    };
    await walk(dir);
    // An empty result is legal (Flux applies nothing), but at the top it is almost always a wrong --path or an unrendered format (jsonnet, Helm values).
    if (ra.length === 0 && this.stack.length === 1) this.warn(`${dir || '.'}: no Kubernetes manifests (.yaml/.yml/.json) found below it; nothing to apply`);
    return ra;
  }

  /** readResources reads the objects of a file; `skipForeign` (Flux's generated rule) skips, with a warning, a file whose documents name neither apiVersion nor kind. */
  async readResources(file: string, skipForeign = false): Promise<Res[]> {
    const text = await this.readText(file);
    const out: Res[] = [];
    const docs = parseYamlDocuments(text, file);
    if (skipForeign && docs.length > 0 && !docs.some((d) => isMap(d.value) && ('apiVersion' in d.value || 'kind' in d.value))) {
      this.warn(`${file}: skipped: no Kubernetes object in it (no document has an apiVersion or a kind)`);
      return out;
    }
    const add = (value: Json, line: number) => {
      if (!isMap(value)) throw new MfluxError('KustomizeError', 'a resource must be a YAML mapping with apiVersion, kind and metadata.name', { subject: `${file}:${line}` });
      if (typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value) {
        for (const item of asArray(value.items)) add(item, line);
        return;
      }
      if (!value.kind || !isMap(value.metadata) || !value.metadata.name) {
        throw new MfluxError('KustomizeError', `missing ${!value.kind ? 'kind' : 'metadata.name'} in resource`, { subject: `${file}:${line}` });
      }
      out.push(newRes(value, file, line));
    };
    for (const doc of docs) add(doc.value, doc.line);
    return out;
  }

  async accumulate(k: KFile, ra: Res[]): Promise<Res[]> {
    const d = k.data;
    // One id set for the whole list: a top-level kustomization gathers thousands of objects.
    const seen = idSet(ra);
    for (const field of ['resources', 'bases'] as const) {
      for (const rel of asArray(d[field])) {
        const p = this.resolve(k, field, rel);
        const t = await this.kindOf(p);
        if (t === 'file') appendAll(ra, await this.readResources(p), `${k.path}:${lineOf(k, field, rel)}`, seen);
        else if (t === 'dir') appendAll(ra, await this.buildDir(p, false, [], k), `${k.path}:${lineOf(k, field, rel)}`, seen);
        else throw new MfluxError('KustomizeError', `${field}: "${rel}" does not exist (neither a file nor a folder at ${p})`, { subject: `${k.path}:${lineOf(k, field, rel)}` });
      }
    }
    await this.runGenerators(k, ra);
    for (const rel of asArray(d.components)) {
      const p = this.resolve(k, 'components', rel);
      if ((await this.kindOf(p)) !== 'dir') throw new MfluxError('KustomizeError', `components: "${rel}" is not a folder`, { subject: `${k.path}:${lineOf(k, 'components', rel)}` });
      ra = await this.buildDir(p, true, ra, k);
    }
    await this.runTransformers(k, ra);
    return ra;
  }

  // ---------- generators ----------

  async runGenerators(k: KFile, ra: Res[]): Promise<void> {
    const global = isMap(k.data.generatorOptions) ? k.data.generatorOptions : undefined;
    for (const args of asArray(k.data.configMapGenerator)) absorb(ra, await this.generate(k, 'ConfigMap', args, global, 'configMapGenerator'), k);
    for (const args of asArray(k.data.secretGenerator)) absorb(ra, await this.generate(k, 'Secret', args, global, 'secretGenerator'), k);
    for (const cfg of await this.pluginConfigs(k, 'generators')) {
      const kind = cfg.obj.kind;
      if (kind === 'ConfigMapGenerator' || kind === 'SecretGenerator') {
        const args = { ...cfg.obj, name: cfg.obj.metadata?.name, namespace: cfg.obj.metadata?.namespace };
        absorb(ra, await this.generate(k, kind === 'ConfigMapGenerator' ? 'ConfigMap' : 'Secret', args, undefined, 'generators', cfg.dir), k);
      } else this.refusePlugin(k, 'generators', cfg.obj);
    }
  }

  async generate(k: KFile, kind: 'ConfigMap' | 'Secret', args: Json, global: Json, field: string, baseDir = k.dir): Promise<Res> {
    const subject = `${k.path}:${lineOf(k, field, isMap(args) ? String(args.name ?? '') : '')}`;
    if (!isMap(args) || typeof args.name !== 'string' || args.name === '') throw new MfluxError('KustomizeError', `${field}: every entry needs a name`, { subject });
    const opts = mergeOptions(isMap(args.options) ? args.options : undefined, global);
    const pairs: [string, Uint8Array][] = [];
    const enc = new TextEncoder();
    const rel = (p: string) => {
      const resolved = this.resolve({ ...k, dir: baseDir }, field, p);
      return resolved;
    };
    for (const env of [...asArray(args.envs), ...asArray(args.env)]) {
      const text = await this.readText(rel(String(env)));
      text.split('\n').forEach((raw, i) => {
        let line = raw.replace(/\r$/, '');
        if (i === 0) line = line.replace(/^\uFEFF/, '');
        line = line.replace(/^\s+/, '');
        if (line === '' || line.startsWith('#')) return;
        const eq = line.indexOf('=');
        const key = eq < 0 ? line : line.slice(0, eq);
        if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new MfluxError('KustomizeError', `${field}: "${key}" in ${env} is not a valid environment variable name`, { subject });
        pairs.push([key, enc.encode(eq < 0 ? '' : line.slice(eq + 1))]);
      });
    }
    for (const lit of asArray(args.literals)) {
      const s = String(lit);
      const eq = s.indexOf('=');
      if (eq <= 0) throw new MfluxError('KustomizeError', `${field}: invalid literal source "${eq === 0 ? s : s.split('=')[0]}", expected key=value`, { subject });
      let v = s.slice(eq + 1);
      if (v.length >= 2 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
      pairs.push([s.slice(0, eq), enc.encode(v)]);
    }
    for (const src of asArray(args.files)) {
      const s = String(src);
      const n = (s.match(/=/g) ?? []).length;
      if (n > 1 || s.startsWith('=') || (n === 1 && s.endsWith('='))) throw new MfluxError('KustomizeError', `${field}: invalid file source "${s}"`, { subject });
      const [key, path] = n === 0 ? [basename(s), s] : (s.split('=') as [string, string]);
      const p = rel(path);
      if ((await this.kindOf(p)) !== 'file') throw new MfluxError('KustomizeError', `${field}: file "${path}" does not exist`, { subject });
      pairs.push([key, await this.readBytes(p)]);
    }
    const seen = new Set<string>();
    for (const [key] of pairs) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new MfluxError('KustomizeError', `${field}: "${key}" is not a valid ${kind} key`, { subject });
      if (seen.has(key)) throw new MfluxError('KustomizeError', `${field}: ${kind.toLowerCase()} ${args.name} illegally repeats the key \`${key}\``, { subject });
      seen.add(key);
    }
    const obj: Json = { apiVersion: 'v1', kind, metadata: { name: args.name } };
    if (args.namespace) obj.metadata.namespace = String(args.namespace);
    const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (kind === 'Secret') obj.type = args.type ? String(args.type) : 'Opaque';
    const data: Record<string, string> = {};
    const binary: Record<string, string> = {};
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (const [key, bytes] of sorted) {
      if (kind === 'Secret') {
        data[key] = wrappedBase64(bytes);
        continue;
      }
      try {
        data[key] = strict.decode(bytes);
      } catch {
        binary[key] = wrappedBase64(bytes);
      }
    }
    if (Object.keys(data).length > 0) obj.data = data;
    if (Object.keys(binary).length > 0) obj.binaryData = binary;
    if (opts?.labels && Object.keys(opts.labels).length) obj.metadata.labels = asStringMap(opts.labels);
    if (opts?.annotations && Object.keys(opts.annotations).length) obj.metadata.annotations = asStringMap(opts.annotations);
    if (opts?.immutable) obj.immutable = true;
    const r = newRes(obj, k.path, lineOf(k, field, String(args.name)));
    r.kusts.push(k.path);
    r.needsHash = !opts?.disableNameSuffixHash;
    const behavior = args.behavior ?? 'create';
    if (!['create', 'merge', 'replace'].includes(behavior)) throw new MfluxError('KustomizeError', `${field}: behavior must be create, merge or replace, not "${behavior}"`, { subject });
    r.behavior = behavior;
    return r;
  }

  // ---------- transformers ----------

  async runTransformers(k: KFile, ra: Res[]): Promise<void> {
    const d = k.data;
    // Each object's text after one step is its text before the next: serialised once per step, not twice.
    const snaps = new Map<Res, string>();
    const step = (fn: () => void | Promise<void>) => tracked(ra, k.path, fn, snaps);
    if (d.patchesStrategicMerge !== undefined) {
      for (const entry of asArray(d.patchesStrategicMerge)) {
        const patches = await this.loadPatchDocs(k, 'patchesStrategicMerge', String(entry), true);
        await step(() => applySmByIds(ra, patches, `${k.path}:${lineOf(k, 'patchesStrategicMerge', String(entry).split('\n')[0])}`));
      }
    }
    for (const p of asArray(d.patches)) await step(() => this.applyPatchEntry(k, 'patches', ra, p));
    if (d.namespace) await step(() => namespaceTransform(ra, String(d.namespace), NAMESPACE_SPECS, false, 'defaultOnly', `${k.path}:${lineOf(k, 'namespace')}`));
    if (d.namePrefix) await step(() => prefixSuffix(ra, String(d.namePrefix), '', [{ path: 'metadata/name' }]));
    if (d.nameSuffix) await step(() => prefixSuffix(ra, '', String(d.nameSuffix), [{ path: 'metadata/name' }]));
    for (const l of asArray(d.labels)) {
      if (!isMap(l)) continue;
      let specs: FieldSpec[] = [...asArray(l.fields).map(toFieldSpec)];
      if (l.includeSelectors) specs = mergeSpecs(specs, COMMON_LABEL_SPECS);
      else {
        if (l.includeTemplates) specs = mergeSpecs(specs, TEMPLATE_LABEL_SPECS);
        specs = mergeSpecs(specs, [{ path: 'metadata/labels', create: true }]);
      }
      await step(() => setStringMap(ra, asStringMap(l.pairs), specs));
    }
    if (d.commonLabels) await step(() => setStringMap(ra, asStringMap(d.commonLabels), COMMON_LABEL_SPECS));
    if (d.commonAnnotations) await step(() => setStringMap(ra, asStringMap(d.commonAnnotations), COMMON_ANNOTATION_SPECS));
    for (const p of asArray(d.patchesJson6902)) {
      await step(async () => {
        if (!isMap(p) || !isMap(p.target)) throw new MfluxError('KustomizeError', 'patchesJson6902: every entry needs a target', { subject: `${k.path}:${lineOf(k, 'patchesJson6902')}` });
        const text = p.path ? await this.readText(this.resolve(k, 'patchesJson6902', String(p.path))) : String(p.patch ?? '');
        applyJson6902(ra, selectTarget(ra, p.target, `${k.path}:${lineOf(k, 'patchesJson6902')}`), parseJsonPatch(text, `${k.path}:${lineOf(k, 'patchesJson6902')}`), `${k.path}:${lineOf(k, 'patchesJson6902')}`);
      });
    }
    for (const r of asArray(d.replicas)) await step(() => replicaCount(ra, r, REPLICA_SPECS, `${k.path}:${lineOf(k, 'replicas', String(r?.name ?? ''))}`));
    for (const img of [...asArray(d.images), ...asArray(d.imageTags)]) await step(() => imageTag(ra, img, IMAGE_SPECS));
    if (d.replacements !== undefined) {
      const reps: Json[] = [];
      for (const r of asArray(d.replacements)) {
        if (isMap(r) && r.path) {
          const file = this.resolve(k, 'replacements', String(r.path));
          for (const doc of parseYamlDocuments(await this.readText(file), file)) reps.push(...asArray(doc.value));
        } else reps.push(r);
      }
      await step(() => replacements(ra, reps, `${k.path}:${lineOf(k, 'replacements')}`));
    }
    for (const cfg of await this.pluginConfigs(k, 'transformers')) await step(() => this.runTransformerConfig(k, cfg, ra));
  }

  async loadPatchDocs(k: KFile, field: string, entry: string, allowInline: boolean): Promise<Json[]> {
    const inline = entry.includes('\n') || /^\s*(apiVersion|kind|metadata)\s*:/.test(entry) || entry.trim().startsWith('{') || entry.trim().startsWith('[');
    if (!inline || !allowInline) {
      const p = this.resolve(k, field, entry);
      if ((await this.kindOf(p)) !== 'file') throw new MfluxError('KustomizeError', `${field}: patch file "${entry}" does not exist`, { subject: `${k.path}:${lineOf(k, field, entry)}` });
      return parseYamlDocuments(await this.readText(p), p).map((x) => x.value);
    }
    return parseYamlDocuments(entry, `${k.path}:${lineOf(k, field)}`).map((x) => x.value);
  }

  async applyPatchEntry(k: KFile, field: string, ra: Res[], p: Json, baseDir = k.dir): Promise<void> {
    const subject = `${k.path}:${lineOf(k, field, isMap(p) && typeof p.path === 'string' ? p.path : '')}`;
    if (!isMap(p)) throw new MfluxError('KustomizeError', `${field}: every entry needs patch or path`, { subject });
    if (p.patch && p.path) throw new MfluxError('KustomizeError', `${field}: patch and path can't be set at the same time`, { subject });
    let text: string;
    if (p.path) {
      const file = this.resolve({ ...k, dir: baseDir }, field, String(p.path));
      if ((await this.kindOf(file)) !== 'file') throw new MfluxError('KustomizeError', `${field}: patch file "${p.path}" does not exist`, { subject });
      text = await this.readText(file);
    } else if (typeof p.patch === 'string' && p.patch.trim() !== '') text = p.patch.trim();
    else throw new MfluxError('KustomizeError', `${field}: must specify one of patch and path`, { subject });
    const docs = parseYamlDocuments(text, subject).map((x) => x.value);
    const opts = isMap(p.options) ? p.options : {};
    if (docs.length === 1 && Array.isArray(docs[0])) {
      if (!isMap(p.target)) throw new MfluxError('KustomizeError', `${field}: a JSON 6902 patch needs a target`, { subject });
      applyJson6902(ra, selectTarget(ra, p.target, subject), docs[0], subject);
      return;
    }
    if (isMap(p.target)) {
      if (docs.length > 1) throw new MfluxError('KustomizeError', `${field}: multiple strategic-merge patches in one entry may not set target`, { subject });
      for (const r of selectTarget(ra, p.target, subject)) applySm(ra, r, docs[0], opts);
      return;
    }
    applySmByIds(ra, docs, subject, opts);
  }

  /** pluginConfigs reads the `transformers`/`generators` entries: inline YAML, files, or folders built as kustomizations. */
  async pluginConfigs(k: KFile, field: 'transformers' | 'generators'): Promise<{ obj: Json; dir: string }[]> {
    const out: { obj: Json; dir: string }[] = [];
    for (const entry of asArray(k.data[field])) {
      const s = String(entry);
      if (s.includes('\n') || /^\s*(apiVersion|kind)\s*:/.test(s)) {
        for (const doc of parseYamlDocuments(s, `${k.path}:${lineOf(k, field)}`)) out.push({ obj: doc.value, dir: k.dir });
        continue;
      }
      const p = this.resolve(k, field, s);
      const t = await this.kindOf(p);
      if (t === 'file') for (const r of await this.readResources(p)) out.push({ obj: r.obj, dir: k.dir });
      else if (t === 'dir') for (const r of await this.buildDir(p, false, [], k)) out.push({ obj: r.obj, dir: p });
      else throw new MfluxError('KustomizeError', `${field}: "${s}" does not exist`, { subject: `${k.path}:${lineOf(k, field, s)}` });
    }
    return out;
  }

  refusePlugin(k: KFile, field: string, obj: Json): never {
    const fn = obj?.metadata?.annotations?.['config.kubernetes.io/function'];
    const what = `${obj?.apiVersion ?? '?'}/${obj?.kind ?? '?'}`;
    const advice = fn
      ? 'exec and container (KRM function) plugins are never run; render the output and commit it'
      : 'only kustomize builtin transformers (LabelTransformer, AnnotationsTransformer, PrefixTransformer, SuffixTransformer, NamespaceTransformer, ImageTagTransformer, PatchTransformer, PatchStrategicMergeTransformer, PatchJson6902Transformer, ReplicaCountTransformer, ReplacementTransformer) are supported';
    throw new MfluxError('KustomizeUnsupported', `${field}: ${what} "${obj?.metadata?.name ?? ''}": ${advice}`, { subject: `${k.path}:${lineOf(k, field)}` });
  }

  async runTransformerConfig(k: KFile, cfg: { obj: Json; dir: string }, ra: Res[]): Promise<void> {
    const c = cfg.obj;
    const subject = `${k.path}:${lineOf(k, 'transformers')}`;
    if (c?.metadata?.annotations?.['config.kubernetes.io/function'] || (c?.apiVersion && c.apiVersion !== 'builtin' && !/^[a-z]/.test(String(c.apiVersion)))) this.refusePlugin(k, 'transformers', c);
    const specs = (fallback: FieldSpec[]) => (Array.isArray(c.fieldSpecs) ? c.fieldSpecs.map(toFieldSpec) : fallback);
    switch (c?.kind) {
      case 'LabelTransformer':
        return setStringMap(ra, asStringMap(c.labels), specs([]));
      case 'AnnotationsTransformer':
        return setStringMap(ra, asStringMap(c.annotations), specs([]));
      case 'PrefixTransformer':
        return prefixSuffix(ra, String(c.prefix ?? ''), '', specs([{ path: 'metadata/name' }]));
      case 'SuffixTransformer':
        return prefixSuffix(ra, '', String(c.suffix ?? ''), specs([{ path: 'metadata/name' }]));
      case 'NamespaceTransformer':
        return namespaceTransform(ra, String(c.metadata?.namespace ?? ''), specs([]), Boolean(c.unsetOnly), c.setRoleBindingSubjects ?? 'defaultOnly', subject);
      case 'ImageTagTransformer':
        return imageTag(ra, c.imageTag, specs(IMAGE_SPECS));
      case 'ReplicaCountTransformer':
        return replicaCount(ra, c.replica, specs(REPLICA_SPECS), subject);
      case 'PatchTransformer':
        return this.applyPatchEntry(k, 'transformers', ra, c, cfg.dir);
      case 'PatchJson6902Transformer': {
        const text = c.path ? await this.readText(this.resolve({ ...k, dir: cfg.dir }, 'transformers', String(c.path))) : String(c.jsonOp ?? '');
        return applyJson6902(ra, selectTarget(ra, c.target ?? {}, subject), parseJsonPatch(text, subject), subject);
      }
      case 'PatchStrategicMergeTransformer': {
        const docs: Json[] = [];
        for (const p of asArray(c.paths)) docs.push(...(await this.loadPatchDocs({ ...k, dir: cfg.dir }, 'transformers', String(p), false)));
        if (c.patches) docs.push(...parseYamlDocuments(String(c.patches), subject).map((x) => x.value));
        return applySmByIds(ra, docs, subject);
      }
      case 'ReplacementTransformer':
        return replacements(ra, asArray(c.replacements), subject);
      default:
        this.refusePlugin(k, 'transformers', c);
    }
  }
}

/** wrappedBase64 is kyaml's encodeBase64: lines of 70 characters, each ending in a newline once there is more than one line. */
function wrappedBase64(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = Math.floor(b64.length / 70) + 1;
  if (lines <= 1) return b64;
  let out = '';
  for (let i = 0; i < b64.length; i += 70) out += `${b64.slice(i, i + 70)}\n`;
  return out;
}

// ---------- resource-map operations ----------

function newRes(obj: Json, file: string, line: number): Res {
  return { obj, file, line, kusts: [], prev: [], prefixes: [], suffixes: [], needsHash: false, behavior: 'create' };
}

function idKey(id: Id): string {
  return `${id.group}|${id.version}|${id.kind}|${id.name}|${effNs(id)}`;
}

/** resKey is idKey(curId(r)) without building the id: it runs once per object per kustomization level. */
function resKey(r: Res): string {
  const o = r.obj;
  const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const slash = av.lastIndexOf('/');
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const ns = String(o.metadata?.namespace ?? '');
  return `${slash < 0 ? '' : av.slice(0, slash)}|${slash < 0 ? av : av.slice(slash + 1)}|${kind}|${String(o.metadata?.name ?? '')}|${effNs({ kind, namespace: ns })}`;
}

function idSet(ra: Res[]): Set<string> {
  return new Set(ra.map(resKey));
}

/** appendAll adds objects refusing a duplicate id; `seen` holds the ids already in `ra` when the caller keeps it across calls. */
function appendAll(ra: Res[], more: Res[], subject: string, seen = idSet(ra)): void {
  for (const r of more) {
    const key = resKey(r);
    if (seen.has(key)) {
      throw new MfluxError('KustomizeError', `may not add resource with an already registered id: ${idString(curId(r))} (from ${r.file}:${r.line})`, { subject });
    }
    seen.add(key);
    ra.push(r);
  }
}

function absorb(ra: Res[], r: Res, k: KFile): void {
  const id = curId(r);
  const matches = ra.filter((x) => allIds(x).some((i) => idEquals(i, id)));
  const subject = `${r.file}:${r.line}`;
  if (matches.length === 0) {
    if (r.behavior !== 'create') throw new MfluxError('KustomizeError', `${r.obj.kind} ${id.name} does not exist in the resources; cannot ${r.behavior} it`, { subject });
    appendAll(ra, [r], subject);
    return;
  }
  if (matches.length > 1) throw new MfluxError('KustomizeError', `found multiple objects that could accept merge of ${idString(id)}`, { subject });
  const old = matches[0]!;
  if (r.behavior === 'create') throw new MfluxError('KustomizeError', `${r.obj.kind} ${id.name} already exists; set behavior: merge or replace`, { subject });
  const o = old.obj;
  const labels = { ...asStringMap(o.metadata?.labels), ...asStringMap(r.obj.metadata?.labels) };
  const annotations = { ...asStringMap(o.metadata?.annotations), ...asStringMap(r.obj.metadata?.annotations) };
  r.obj.metadata.labels = labels;
  r.obj.metadata.annotations = annotations;
  if (Object.keys(labels).length === 0) delete r.obj.metadata.labels;
  if (Object.keys(annotations).length === 0) delete r.obj.metadata.annotations;
  r.obj.metadata.name = o.metadata.name;
  if (o.metadata.namespace) r.obj.metadata.namespace = o.metadata.namespace;
  else delete r.obj.metadata.namespace;
  r.prev = [...old.prev];
  r.prefixes = [...old.prefixes];
  r.suffixes = [...old.suffixes];
  if (r.behavior === 'merge') {
    const data = { ...asStringMap(o.data), ...asStringMap(r.obj.data) };
    if (Object.keys(data).length) r.obj.data = data;
    const bin = { ...asStringMap(o.binaryData), ...asStringMap(r.obj.binaryData) };
    if (Object.keys(bin).length) r.obj.binaryData = bin;
    r.file = old.file;
    r.line = old.line;
  }
  r.kusts = [...old.kusts, ...r.kusts.filter((x) => !old.kusts.includes(x)), ...(r.kusts.includes(k.path) ? [] : [k.path])];
  ra[ra.indexOf(old)] = r;
}

/** tracked runs one transformer and records the kustomization on every object it changed. */
async function tracked(ra: Res[], kpath: string, fn: () => void | Promise<void>, snaps = new Map<Res, string>()): Promise<void> {
  for (const r of ra) if (!snaps.has(r)) snaps.set(r, JSON.stringify(r.obj));
  await fn();
  for (const r of ra) {
    const now = JSON.stringify(r.obj);
    if (snaps.get(r) !== now && !r.kusts.includes(kpath)) r.kusts.push(kpath);
    snaps.set(r, now);
  }
}

function toFieldSpec(f: Json): FieldSpec {
  return { path: String(f?.path ?? ''), group: f?.group, version: f?.version, kind: f?.kind, create: Boolean(f?.create) };
}

function mergeSpecs(a: FieldSpec[], b: FieldSpec[]): FieldSpec[] {
  const out = [...a];
  for (const s of b) {
    if (!out.some((x) => x.path === s.path && (x.group ?? '') === (s.group ?? '') && (x.version ?? '') === (s.version ?? '') && (x.kind ?? '') === (s.kind ?? ''))) out.push(s);
  }
  return out;
}

function mergeOptions(local: Json, global: Json): Json {
  if (!isMap(global)) return local;
  const out = { ...(local ?? {}) };
  if (global.labels) out.labels = { ...asStringMap(global.labels), ...(out.labels ? asStringMap(out.labels) : {}) };
  if (global.annotations) out.annotations = { ...asStringMap(global.annotations), ...(out.annotations ? asStringMap(out.annotations) : {}) };
  if (global.disableNameSuffixHash) out.disableNameSuffixHash = true;
  if (global.immutable) out.immutable = true;
  return out;
}

function setStringMap(ra: Res[], pairs: Record<string, string>, specs: FieldSpec[]): void {
  const keys = Object.keys(pairs).sort();
  if (keys.length === 0) return;
  for (const r of ra) {
    const gvk = gvkOf(r.obj);
    for (const fs of specs) {
      if (!matchesFieldSpec(fs, gvk)) continue;
      visitFieldSpec(r.obj, fs.path, fs.create ? () => ({}) : null, (c, key) => {
        if (!isMap(c[key])) c[key] = {};
        for (const k of keys) (c[key] as Record<string, string>)[k] = pairs[k]!;
      });
    }
  }
}

function prefixSuffix(ra: Res[], prefix: string, suffix: string, specs: FieldSpec[]): void {
  const skip = (id: Gvk) => id.kind === 'CustomResourceDefinition' || id.kind === 'Namespace' || (id.kind === 'APIService' && id.group === 'apiregistration.k8s.io');
  for (const r of ra) {
    const org = orgId(r);
    if (skip(org)) continue;
    for (const fs of specs) {
      if (!gvkSelected(org, fs)) continue;
      if (fs.path === 'metadata/name') {
        if (prefix) {
          r.prefixes.push(prefix);
          storePreviousId(r);
        }
        if (suffix) {
          r.suffixes.push(suffix);
          storePreviousId(r);
        }
      }
      visitFieldSpec(r.obj, fs.path, null, (c, key) => {
        if (typeof c[key] === 'string' || typeof c[key] === 'number') c[key] = `${prefix}${c[key]}${suffix}`;
      });
    }
  }
}

function namespaceTransform(ra: Res[], ns: string, specs: FieldSpec[], unsetOnly: boolean, subjects: string, subject: string): void {
  if (!ns) return;
  const set = (c: Record<string, Json>, key: string) => {
    if (unsetOnly && c[key] !== undefined && c[key] !== null && c[key] !== '') return;
    c[key] = ns;
  };
  for (const r of ra) {
    storePreviousId(r);
    const gvk = gvkOf(r.obj);
    if (!isClusterScoped(gvk.kind)) {
      if (!isMap(r.obj.metadata)) r.obj.metadata = {};
      set(r.obj.metadata, 'namespace');
    }
    if ((gvk.kind === 'RoleBinding' || gvk.kind === 'ClusterRoleBinding') && subjects !== 'none') {
      for (const s of asArray(r.obj.subjects)) {
        if (!isMap(s)) continue;
        if (subjects === 'allServiceAccounts' ? s.kind === 'ServiceAccount' : s.name === 'default') set(s, 'namespace');
      }
    }
    for (const fs of specs) {
      if (fs.path === 'metadata/namespace') continue;
      if (fs.path === 'metadata/name' && r.obj.apiVersion !== 'v1') continue;
      if (!matchesFieldSpec(fs, gvk)) continue;
      visitFieldSpec(r.obj, fs.path, fs.create ? () => '' : null, set);
    }
  }
  const count = new Map<string, number>();
  for (const r of ra) {
    const key = idKey(curId(r));
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  for (const r of ra) {
    const id = curId(r);
    if (count.get(idKey(id)) !== 1) throw new MfluxError('KustomizeError', `namespace: setting namespace ${ns} makes two objects ${idString(id)}`, { subject });
  }
}

function imageTag(ra: Res[], img: Json, specs: FieldSpec[]): void {
  if (!isMap(img) || !img.name) return;
  const name = String(img.name);
  const re = new RegExp(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`);
  const update = (c: Record<string, Json>, key: string) => {
    const value = c[key];
    if (typeof value !== 'string' || !re.test(value)) return;
    let [n, tag, digest] = splitImage(value);
    if (img.newName) n = String(img.newName);
    if (img.newTag !== undefined && img.newTag !== '' && img.digest) {
      tag = String(img.newTag);
      digest = String(img.digest);
    } else if (img.newTag !== undefined && img.newTag !== '') {
      tag = String(img.newTag);
      digest = '';
    } else if (img.digest) {
      tag = '';
      digest = String(img.digest);
    } else if (img.tagSuffix) {
      tag += String(img.tagSuffix);
      digest = '';
    }
    c[key] = `${n}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  };
  for (const r of ra) {
    if (r.obj.kind === 'CustomResourceDefinition') continue;
    // kustomize's legacy pass: every containers/initContainers list anywhere in the object.
    const walk = (node: Json): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!isMap(node)) return;
      for (const [k, v] of Object.entries(node)) {
        walk(v);
        if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) for (const el of v) if (isMap(el) && 'image' in el) update(el, 'image');
      }
    };
    walk(r.obj);
    const gvk = gvkOf(r.obj);
    for (const fs of specs) {
      if (!matchesFieldSpec(fs, gvk)) continue;
      visitFieldSpec(r.obj, fs.path, null, update);
    }
  }
}

/** splitImage cuts an image reference into name, tag and digest as kustomize does (a registry port is part of the name). */
export function splitImage(image: string): [string, string, string] {
  let search = image;
  let slash = image.indexOf('/');
  if (slash > 0) search = image.slice(slash);
  else slash = 0;
  let id = search.indexOf('@');
  let ic = search.indexOf(':');
  if (ic < 0 && id < 0) return [image, '', ''];
  if (id >= 0 && (id < ic || ic < 0)) {
    id += slash;
    return [image.slice(0, id), '', image.slice(id + 1)];
  }
  if (id >= 0 && ic >= 0) {
    id += slash;
    ic += slash;
    return [image.slice(0, ic), image.slice(ic + 1, id), image.slice(id + 1)];
  }
  ic += slash;
  return [image.slice(0, ic), image.slice(ic + 1), ''];
}

function replicaCount(ra: Res[], rep: Json, specs: FieldSpec[], subject: string): void {
  if (!isMap(rep) || !rep.name) throw new MfluxError('KustomizeError', 'replicas: every entry needs a name and a count', { subject });
  let found = false;
  for (const fs of specs) {
    for (const r of ra) {
      if (!allIds(r).some((id) => id.name === rep.name && gvkSelected(id, fs))) continue;
      found = true;
      visitFieldSpec(r.obj, fs.path, fs.create ? () => 0 : null, (c, key) => {
        c[key] = Number(rep.count ?? 0);
      });
    }
  }
  if (!found) throw new MfluxError('KustomizeError', `replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named ${rep.name}`, { subject });
}

function selectTarget(ra: Res[], t: Json, subject: string): Res[] {
  const anchor = (p: unknown) => {
    if (p === undefined || p === null || p === '') return null;
    try {
      return new RegExp(`^(?:${String(p)})$`);
    } catch (err) {
      throw new MfluxError('KustomizeError', `target: invalid regular expression "${p}": ${(err as Error).message}`, { subject });
    }
  };
  const g = anchor(t.group);
  const v = anchor(t.version);
  const kd = anchor(t.kind);
  const n = anchor(t.name);
  const ns = anchor(t.namespace);
  return ra.filter((r) => {
    const cur = curId(r);
    const org = orgId(r);
    if (ns && !ns.test(effNs(org)) && !ns.test(effNs(cur))) return false;
    if (n && !n.test(org.name) && !n.test(cur.name)) return false;
    if (g && !g.test(cur.group)) return false;
    if (v && !v.test(cur.version)) return false;
    if (kd && !kd.test(cur.kind)) return false;
    if (!matchesSelector(t.labelSelector, r.obj.metadata?.labels, subject)) return false;
    if (!matchesSelector(t.annotationSelector, r.obj.metadata?.annotations, subject)) return false;
    return true;
  });
}

function applySm(ra: Res[], r: Res, patch: Json, opts: Json = {}): void {
  if (!isMap(patch)) return;
  const name = r.obj.metadata?.name;
  const kind = r.obj.kind;
  if (opts.allowNameChange || opts.allowKindChange) storePreviousId(r);
  const merged = strategicMerge(r.obj, structuredClone(patch));
  if (merged === null) {
    ra.splice(ra.indexOf(r), 1);
    return;
  }
  if (opts.allowNameChange && patch.metadata?.name) merged.metadata.name = patch.metadata.name;
  else merged.metadata.name = name;
  if (opts.allowKindChange && patch.kind) merged.kind = patch.kind;
  else merged.kind = kind;
  r.obj = merged;
}

function applySmByIds(ra: Res[], patches: Json[], subject: string, opts: Json = {}): void {
  for (const patch of patches) {
    if (!isMap(patch) || !patch.kind || !patch.metadata?.name) throw new MfluxError('KustomizeError', 'a strategic-merge patch without a target needs apiVersion, kind and metadata.name', { subject });
    const g = gvkOf(patch);
    const id: Id = { ...g, name: String(patch.metadata.name), namespace: String(patch.metadata.namespace ?? '') };
    const matches = ra.filter((x) => allIds(x).some((i) => idEquals(i, id)));
    if (matches.length !== 1) {
      throw new MfluxError('KustomizeError', `${matches.length === 0 ? 'no resource matches' : 'multiple resources match'} strategic merge patch ${idString(id)}`, { subject });
    }
    applySm(ra, matches[0]!, patch, opts);
  }
}

function parseJsonPatch(text: string, subject: string): Json[] {
  const v = text.trim().startsWith('[') ? (() => {
    try {
      return JSON.parse(text);
    } catch {
      return parseYamlValue(text, subject);
    }
  })() : parseYamlValue(text, subject);
  if (!Array.isArray(v)) throw new MfluxError('KustomizeError', 'a JSON 6902 patch must be a list of operations', { subject });
  return v;
}

function applyJson6902(ra: Res[], targets: Res[], ops: Json[], subject: string): void {
  for (const r of targets) {
    storePreviousId(r);
    try {
      const res = fjp.applyPatch(r.obj, structuredClone(ops), true, true);
      r.obj = res.newDocument;
    } catch (err) {
      throw new MfluxError('KustomizeError', `JSON 6902 patch on ${r.obj.kind}/${r.obj.metadata?.name} failed: ${(err as Error).message.split('\n')[0]}`, { subject });
    }
  }
  void ra;
}

// ---------- replacements ----------

function idSelectedBy(id: Id, sel: Json): boolean {
  if (!isMap(sel)) return true;
  if (sel.name && sel.name !== id.name) return false;
  if (sel.namespace && effNs({ kind: id.kind, namespace: String(sel.namespace) }) !== effNs(id)) return false;
  return gvkSelected(id, { group: sel.group, version: sel.version, kind: sel.kind });
}

/** splitFieldPath cuts "spec.template.spec.containers.[name=web].image" into segments, keeping bracketed parts whole. */
function splitFieldPath(p: string): string[] {
  const raw = p.split('.');
  const parts: string[] = [raw[0]!];
  for (let i = 1; i < raw.length; i++) {
    const last = parts.length - 1;
    if (parts[last]!.endsWith('\\')) parts[last] = `${parts[last]!.slice(0, -1)}.${raw[i]}`;
    else parts.push(raw[i]!);
  }
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    let s = parts[i]!;
    if (s.startsWith('[') && !s.endsWith(']')) {
      while (i < parts.length - 1 && !s.endsWith(']')) s += `.${parts[++i]}`;
    }
    out.push(s.startsWith('[') && !s.includes('=') ? s.slice(1, -1) : s);
  }
  return out;
}

/** lookupPath finds the fields a replacement path names; with `create`, missing maps and the last field are made. */
function lookupPath(root: Json, segs: string[], create: boolean): { c: Json; k: string | number }[] {
  let frontier: { c: Json; k: string | number }[] = [{ c: { root }, k: 'root' }];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next: { c: Json; k: string | number }[] = [];
    for (const f of frontier) {
      let node = f.c[f.k];
      const m = /^\[(.*?)=(.*)\]$/.exec(seg);
      if (node === undefined || node === null) {
        if (!create) continue;
        node = f.c[f.k] = m || /^\d+$/.test(seg) ? [] : {};
      }
      if (m) {
        if (!Array.isArray(node)) continue;
        const [, key, val] = m;
        let hits = node.map((e, idx) => ({ e, idx })).filter(({ e }) => (key === '' ? String(e) === val : isMap(e) && String(e[key!]) === val));
        if (hits.length === 0 && create && key !== '') {
          node.push({ [key!]: val });
          hits = [{ e: node[node.length - 1], idx: node.length - 1 }];
        }
        for (const h of hits) next.push({ c: node, k: h.idx });
      } else if (seg === '*') {
        if (Array.isArray(node)) node.forEach((_, idx) => next.push({ c: node, k: idx }));
        else if (isMap(node)) Object.keys(node).forEach((k) => next.push({ c: node, k }));
      } else if (Array.isArray(node)) {
        if (/^-?\d+$/.test(seg)) {
          const idx = Number(seg) < 0 ? node.length + Number(seg) : Number(seg);
          if (idx >= 0 && idx < node.length) next.push({ c: node, k: idx });
        }
      } else if (isMap(node)) {
        if (node[seg] === undefined && !create) continue;
        next.push({ c: node, k: seg });
      }
    }
    frontier = next;
  }
  return frontier.filter((f) => create || (f.c[f.k] !== undefined && f.c[f.k] !== null));
}

function scalarText(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function replacements(ra: Res[], reps: Json[], subject: string): void {
  for (const rep of reps) {
    if (!isMap(rep) || !isMap(rep.source) || !Array.isArray(rep.targets)) throw new MfluxError('KustomizeError', 'replacements must specify a source and at least one target', { subject });
    const src = rep.source;
    const sources = ra.filter((r) => allIds(r).some((id) => idSelectedBy(id, src)));
    if (sources.length === 0) throw new MfluxError('KustomizeError', `replacements: nothing selected by source ${JSON.stringify(src)}`, { subject });
    if (sources.length > 1) throw new MfluxError('KustomizeError', `replacements: multiple matches for source ${JSON.stringify(src)}`, { subject });
    const fp = String(src.fieldPath ?? 'metadata.name');
    const hits = lookupPath(sources[0]!.obj, splitFieldPath(fp), false);
    let value: Json = hits.length ? structuredClone(hits[0]!.c[hits[0]!.k]) : undefined;
    if (value === undefined || value === null || value === '' || (isMap(value) && Object.keys(value).length === 0)) {
      throw new MfluxError('KustomizeError', `replacements: fieldPath \`${fp}\` is missing for replacement source ${src.kind ?? ''}/${src.name ?? ''}`, { subject });
    }
    if (src.options?.delimiter) {
      const parts = scalarText(value).split(String(src.options.delimiter));
      const idx = Number(src.options.index ?? 0);
      if (idx < 0 || idx >= parts.length) throw new MfluxError('KustomizeError', `replacements: options.index ${idx} is out of bounds for value ${scalarText(value)}`, { subject });
      value = parts[idx];
    }
    for (const t of rep.targets) {
      if (!isMap(t) || !isMap(t.select)) throw new MfluxError('KustomizeError', 'replacements: target must specify resources to select', { subject });
      const paths = asArray(t.fieldPaths).length ? asArray(t.fieldPaths).map(String) : ['metadata.name'];
      for (const r of ra) {
        if (!matchesSelector(t.select.labelSelector, r.obj.metadata?.labels, subject) || !matchesSelector(t.select.annotationSelector, r.obj.metadata?.annotations, subject)) continue;
        const rejectedBySelector = asArray(t.reject).some(
          (rj: Json) => isMap(rj) && (rj.labelSelector || rj.annotationSelector) && matchesSelector(rj.labelSelector, r.obj.metadata?.labels, subject) && matchesSelector(rj.annotationSelector, r.obj.metadata?.annotations, subject),
        );
        if (rejectedBySelector) continue;
        const ids = allIds(r);
        const selectId = { ...t.select };
        delete selectId.labelSelector;
        delete selectId.annotationSelector;
        if (!ids.some((id) => idSelectedBy(id, selectId))) continue;
        const rejected = asArray(t.reject).some((rj: Json) => {
          if (!isMap(rj)) return false;
          const rid = { ...rj };
          delete rid.labelSelector;
          delete rid.annotationSelector;
          if (Object.keys(rid).length === 0) return false;
          return ids.some((id) => idSelectedBy(id, rid));
        });
        if (rejected) continue;
        for (const p of paths) {
          const create = Boolean(t.options?.create);
          const fields = lookupPath(r.obj, splitFieldPath(p), create);
          if (fields.length === 0) throw new MfluxError('KustomizeError', `replacements: unable to find field "${p}" in replacement target ${r.obj.kind}/${r.obj.metadata?.name}`, { subject });
          for (const f of fields) {
            let v = structuredClone(value);
            const old = f.c[f.k];
            if (t.options?.delimiter) {
              const parts = old === undefined ? [] : scalarText(old).split(String(t.options.delimiter));
              const idx = Number(t.options.index ?? 0);
              const sv = scalarText(v);
              if (idx < 0) parts.unshift(sv);
              else if (idx >= parts.length) parts.push(sv);
              else parts[idx] = sv;
              v = parts.join(String(t.options.delimiter));
            }
            f.c[f.k] = retype(v, old);
          }
        }
      }
    }
  }
}

/** retype keeps a scalar target's YAML type, as kustomize writes the new text into the old node (a port stays a number). */
function retype(v: Json, old: Json): Json {
  if (old === undefined || old === null || isMap(v) || Array.isArray(v) || isMap(old) || Array.isArray(old)) return v;
  const text = scalarText(v);
  if (typeof old === 'string') return text;
  const parsed = parseYamlValue(text, 'replacement');
  return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : text;
}

// ---------- the end of a build: hashes, name references, order ----------

function addHashes(ra: Res[]): void {
  for (const r of ra) {
    if (!r.needsHash) continue;
    const h = nameSuffixHash(r.obj);
    storePreviousId(r);
    r.obj.metadata.name = `${r.obj.metadata.name}-${h}`;
  }
}

function sameEndingSubSlice(a: string[], b: string[]): boolean {
  let [shortest, longest] = a.length > b.length ? [b, a] : [a, b];
  const diff = longest.length - shortest.length;
  if (shortest.length === 0) return diff === 0;
  for (let i = shortest.length - 1; i >= 0; i--) if (longest[i + diff] !== shortest[i]) return false;
  return true;
}

function fixNameReferences(ra: Res[]): void {
  // Candidates are looked up by a name they once had, not found by scanning every object for every
  // reference: a top-level kustomization over many overlays holds thousands of both.
  const byPrevName = new Map<string, Res[]>();
  // Names, namespaces and kinds do not change here (only reference fields do): ids are worked out once.
  const ids = new Map<Res, Id>();
  const orgKinds = new Map<string, Res[]>();
  // byPrevNameNs splits byPrevName by current effective namespace (cluster-scoped objects under NOT_A_NAMESPACE).
  const byPrevNameNs = new Map<string, Map<string, Res[]>>();
  const prevKinds = new Set<string>();
  for (const r of ra) {
    ids.set(r, curId(r));
    const org = orgId(r);
    const same = orgKinds.get(org.kind);
    if (same) same.push(r);
    else orgKinds.set(org.kind, [r]);
    const ns = effNs(ids.get(r)!);
    for (const id of r.prev) prevKinds.add(id.kind);
    for (const name of new Set(r.prev.map((id) => id.name))) {
      const list = byPrevName.get(name);
      if (list) list.push(r);
      else byPrevName.set(name, [r]);
      let byNs = byPrevNameNs.get(name);
      if (!byNs) byPrevNameNs.set(name, (byNs = new Map()));
      const inNs = byNs.get(ns);
      if (inNs) inNs.push(r);
      else byNs.set(ns, [r]);
    }
  }
  const order = new Map(ra.map((r, i) => [r, i]));
  for (const back of NAME_REFERENCES) {
    // No object ever had the target's kind: no reference to one can change (select finds nothing).
    if (back.target.kind && !prevKinds.has(back.target.kind)) continue;
    for (const spec of back.referrers) {
      for (const referrer of spec.kind ? (orgKinds.get(spec.kind) ?? []) : ra) {
        if (!gvkSelected(orgId(referrer), spec)) continue;
        const refCur = ids.get(referrer)!;
        const isReferable = referablePredicate(referrer, ids);
        let all: Res[] | undefined;
        // A namespaced referrer other than a RoleBinding may refer to its own namespace's objects and cluster-scoped ones: two buckets, in build order.
        const own = effNs(refCur);
        const bucketed = !isClusterScoped(refCur.kind) && referrer.obj.kind !== 'RoleBinding';
        const named = (name: string): Res[] => {
          if (!bucketed) return (byPrevName.get(name) ?? []).filter(isReferable);
          const byNs = byPrevNameNs.get(name);
          const mine = byNs?.get(own) ?? [];
          const cluster = byNs?.get(NOT_A_NAMESPACE) ?? [];
          if (cluster.length === 0) return mine;
          if (mine.length === 0) return cluster;
          return [...mine, ...cluster].sort((a, b) => order.get(a)! - order.get(b)!);
        };
        const select = (oldName: string, candidates: Res[], identical: (c: Res[]) => boolean): Res | null => {
          let c = candidates.filter((r) => r.prev.some((id) => id.name === oldName));
          c = c.filter((r) => r.prev.some((id) => gvkSelected(id, back.target)));
          if (spec.path.endsWith('roleRef/name') && isMap(referrer.obj.roleRef)) {
            const rr = { group: String(referrer.obj.roleRef.apiGroup ?? ''), kind: String(referrer.obj.roleRef.kind ?? '') };
            c = c.filter((r) => r.prev.some((id) => gvkSelected(id, rr)));
          }
          if (!isClusterScoped(refCur.kind)) c = c.filter((r) => isClusterScoped(r.obj.kind) || r.obj.kind === 'ServiceAccount' || effNs(ids.get(r)!) === effNs(refCur));
          if (c.length === 1) return c[0]!;
          c = c.filter((r) => (r.prefixes.length === 0 || referrer.prefixes.length === 0 || sameEndingSubSlice(r.prefixes, referrer.prefixes)) && (r.suffixes.length === 0 || referrer.suffixes.length === 0 || sameEndingSubSlice(r.suffixes, referrer.suffixes)));
          if (c.length > 1) c = c.filter((r) => sameEndingSubSlice(r.prefixes, referrer.prefixes) && sameEndingSubSlice(r.suffixes, referrer.suffixes));
          if (c.length === 1) return c[0]!;
          if (c.length === 0) return null;
          if (identical(c)) return c[0]!;
          throw new MfluxError('KustomizeError', `found multiple possible referrals for ${spec.path}: ${c.map((r) => idString(ids.get(r)!)).join(', ')}`, { subject: `${referrer.file}:${referrer.line}` });
        };
        const setScalar = (v: string): string => {
          const ref = select(v, named(v), (c) => c.every((x) => x.obj.metadata.name === c[0]!.obj.metadata.name));
          return ref ? String(ref.obj.metadata.name) : v;
        };
        const setMapping = (m: Record<string, Json>) => {
          if (m.name === undefined) return;
          let candidates = named(String(m.name));
          if (m.namespace !== undefined) {
            // Which namespace counts depends on every referable object, not only the same-named ones.
            const referable = (all ??= ra.filter(isReferable));
            const ns = String(m.namespace);
            const byOrg = referable.filter((r) => effNs(orgId(r)) === ns);
            candidates = byOrg.length ? byOrg : referable.filter((r) => effNs(ids.get(r)!) === ns);
          }
          const ref = select(String(m.name), candidates, (c) => c.every((x) => x.obj.metadata.name === c[0]!.obj.metadata.name && (x.obj.metadata.namespace ?? '') === (c[0]!.obj.metadata.namespace ?? '')));
          if (!ref) return;
          const rns = ref.obj.metadata.namespace ?? '';
          if (ref.obj.metadata.name === m.name && rns === '') return;
          m.name = ref.obj.metadata.name;
          if (rns !== '') m.namespace = rns;
        };
        visitFieldSpec(referrer.obj, spec.path, null, (c, key) => {
          const v = c[key];
          if (typeof v === 'string') c[key] = setScalar(v);
          else if (isMap(v)) setMapping(v);
          else if (Array.isArray(v)) {
            v.forEach((e, i) => {
              if (typeof e === 'string') v[i] = setScalar(e);
              else if (isMap(e)) setMapping(e);
            });
          }
        });
      }
    }
  }
}

/** referablePredicate tells which objects a referrer may refer to: cluster-scoped ones, its own namespace's, and for a RoleBinding its subjects' namespaces. */
function referablePredicate(referrer: Res, ids: Map<Res, Id>): (r: Res) => boolean {
  const id = ids.get(referrer)!;
  if (isClusterScoped(id.kind)) return () => true;
  const rbNamespaces = new Set<string>();
  if (referrer.obj.kind === 'RoleBinding') for (const s of asArray(referrer.obj.subjects)) if (isMap(s) && s.kind === 'ServiceAccount' && s.namespace) rbNamespaces.add(String(s.namespace));
  const own = effNs(id);
  return (r) => {
    const c = ids.get(r)!;
    return isClusterScoped(c.kind) || effNs(c) === own || rbNamespaces.has(c.namespace);
  };
}

const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** legacySort orders objects as kustomize's default "legacy" output order does: known kinds first, webhooks last, then by id. */
function legacySort(ra: Res[], first = ORDER_FIRST, last = ORDER_LAST): Res[] {
  const rank = new Map<string, number>();
  first.forEach((k, i) => rank.set(k, -first.length + i));
  last.forEach((k, i) => rank.set(k, 1 + i));
  const gvkStr = (x: Gvk) => `${x.group || '~G'}_${x.version || '~V'}_${x.kind || '~K'}`;
  const idStr = (x: Id) => `${x.kind || '[noKind]'}.${x.version || '[noVer]'}.${x.group || '[noGrp]'}|${x.namespace || '~X'}|${x.name || '~N'}`;
  // Ids and their sort strings worked out once per object, not twice per comparison.
  const keys = new Map(
    ra.map((r) => {
      const id = curId(r);
      return [r, { id, gvk: gvkStr(id), str: idStr(id), rank: rank.get(id.kind) ?? 0 }];
    }),
  );
  return [...ra].sort((ra1, rb1) => {
    const ka = keys.get(ra1)!;
    const kb = keys.get(rb1)!;
    const a = ka.id;
    const b = kb.id;
    if (!(a.group === b.group && a.version === b.version && a.kind === b.kind)) {
      if (ka.rank !== kb.rank) return ka.rank - kb.rank;
      if (a.kind === 'Namespace' && b.kind === 'Namespace' && (a.group === '' || b.group === '')) return -cmp(ka.gvk, kb.gvk);
      return cmp(ka.gvk, kb.gvk);
    }
    return cmp(ka.str, kb.str);
  });
}

/**
 * renderKustomization builds the folder `dir` of a tree as `kubectl kustomize` (v5.5) would —
 * or, when it holds no kustomization, as Flux's generated kustomization of every manifest below
 * it — and returns the objects in kustomize's output order, each with its origin.
 */
export async function renderKustomization(reader: TreeReader, dir: string, opts: RenderOptions = {}): Promise<RenderedDocument[]> {
  const root = joinPath(dir);
  if (root === '..' || root.startsWith('../')) throw new MfluxError('PathEscape', `"${dir}" is outside the source root`, { subject: dir });
  const b = new Build(reader, opts);
  if ((await b.kindOf(root)) !== 'dir') throw new MfluxError('KustomizeError', `"${dir}" is not a folder in the source`, { subject: dir || '.' });
  let ra = await b.buildDir(root, false, []);
  addHashes(ra);
  fixNameReferences(ra);
  ra = ra.filter((r) => {
    const v = r.obj.metadata?.annotations?.['config.kubernetes.io/local-config'];
    return v === undefined || v === 'false';
  });
  const kpath = await b.findKustomization(root);
  let sortOptions: Json;
  if (kpath) sortOptions = (await b.loadKustomization(root, kpath)).data.sortOptions;
  if (!isMap(sortOptions)) ra = legacySort(ra);
  else if (sortOptions.order === 'legacy') {
    const lo = isMap(sortOptions.legacySortOptions) ? sortOptions.legacySortOptions : {};
    ra = legacySort(ra, Array.isArray(lo.orderFirst) ? lo.orderFirst : ORDER_FIRST, Array.isArray(lo.orderLast) ? lo.orderLast : ORDER_LAST);
  } else if (sortOptions.order !== 'fifo') {
    throw new MfluxError('KustomizeError', `sortOptions: order must be legacy or fifo, not "${sortOptions.order}"`, { subject: kpath ?? dir });
  }
  return ra.map((r) => ({ object: r.obj as KubeObject, origin: { file: r.file, line: r.line, kustomizations: [...r.kusts] } }));
}
