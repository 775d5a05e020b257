/**
 * The daemon's config file (config/mflux.yaml): YAML checked against a strict zod schema, so a
 * typo is an error rather than a silently ignored key. Every problem names the file and the key
 * path, and all problems are reported at once. Relative paths are resolved against the config
 * file's directory (not the working directory), so the file means the same from anywhere.
 * Secrets are read from environment variables or files at load time and never appear in messages.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { z } from 'zod';
import { MfluxError, parseDuration } from '../core/index.js';
import { DEFAULT_POLICY, IMPACT_CODES, type ImpactCode, type Policy, parseMaxPrune } from '../plan/index.js';
import { type Credentials, isRemoteUrl } from '../source/index.js';
import { parseCpuUtilization } from '../cluster/sim/sim.js';

/** SourceConfig is one source the daemon reconciles, with defaults applied and secrets resolved. */
export interface SourceConfig {
  name: string;
  /** repo is an absolute local path or an http(s) URL (without credentials). */
  repo: string;
  /** ref is the branch, tag or commit to follow; undefined follows the repository's HEAD. */
  ref: string | undefined;
  /** path is the repository subdirectory holding the manifests; "" is the root. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  credentials?: Credentials;
}

/** DaemonConfig is a loaded config file: defaults applied, paths absolute, secrets resolved. */
export interface DaemonConfig {
  /** file is the absolute path of the config file. */
  file: string;
  /** stateDir is absolute, resolved relative to the config file's directory. */
  stateDir: string;
  listen: { host: string; port: number };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'pretty' };
  /** simulation holds only the knobs the file sets; the simulator's own defaults fill the rest. */
  simulation: { podReadyAfterMs?: number; podReadyJitterMs?: number; podTerminateAfterMs?: number; failImages?: string[]; podCompleteAfterMs?: number; crashImages?: string[]; failProbes?: string[]; nodes?: number; cpuUtilization?: number };
  policy: Policy;
  /** webhookSecret is the resolved secret value (from an env var or a file, one trailing newline dropped). */
  webhookSecret?: string;
  apiServer?: { host: string; port: number };
  sources: SourceConfig[];
  /** warnings are problems that do not stop the daemon (e.g. an unset webhook secret), for the log. */
  warnings: string[];
}

const DEFAULT_LISTEN = '127.0.0.1:9797';
const DEFAULT_API_LISTEN = '127.0.0.1:6443';
const DURATION_HINT = '(use e.g. 30s, 1m, 1h30m)';
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;
const AUTH_SECRETS = ['passwordEnv', 'passwordFile', 'tokenEnv', 'tokenFile'] as const;

/** show renders a bad value for a message: strings quoted, containers by their YAML kind. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** kindOf names a value's YAML kind, for "expected X, got Y". */
function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'true/false';
  return typeof v;
}

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' };

/** duration is a Go-style duration string; `check` adds a bound (the parsed value is computed again after validation). */
function duration(description: string, check?: (ms: number) => string | undefined) {
  return z
    .string({ error: (iss) => `invalid duration ${show(iss.input)} ${DURATION_HINT}` })
    .superRefine((s, ctx) => {
      const ms = parseDuration(s);
      const problem = ms === undefined ? `invalid duration ${JSON.stringify(s)} ${DURATION_HINT}` : check?.(ms);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(`${description} Go-style duration, e.g. 30s, 1m, 1h30m.`);
}

/** listenProblem says what is wrong with a host:port address, or undefined when it is fine. */
function listenProblem(text: string): string | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text.trim());
  if (!m) {
    if (/^[^[]*:.*:/.test(text)) return `invalid address ${JSON.stringify(text)}: put an IPv6 host in brackets, e.g. [::1]:9797`;
    return `invalid address ${JSON.stringify(text)}: expected host:port, e.g. 127.0.0.1:9797`;
  }
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) return `invalid address ${JSON.stringify(text)}: the port must be a number from 0 to 65535`;
  if (m[1] !== undefined) {
    if (!net.isIPv6(m[1])) return `invalid address ${JSON.stringify(text)}: ${JSON.stringify(m[1])} is not an IPv6 address`;
  } else if (m[2] && !/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(m[2])) {
    return `invalid address ${JSON.stringify(text)}: ${JSON.stringify(m[2])} is not a host name or IP address`;
  }
  return undefined;
}

function listen(description: string) {
  return z
    .string({ error: (iss) => `invalid address ${show(iss.input)}: expected host:port as a string, e.g. 127.0.0.1:9797` })
    .superRefine((s, ctx) => {
      const problem = listenProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(`${description} host:port; ":PORT" means 127.0.0.1, "[::1]:PORT" for IPv6, port 0 picks a free port.`);
}

/** repoProblem rejects what the source module cannot read, and credentials written into a URL (they belong in auth). */
function repoProblem(repo: string): string | undefined {
  if (isRemoteUrl(repo)) {
    let u: URL;
    try {
      u = new URL(repo);
    } catch {
      return 'invalid URL';
    }
    if (u.username || u.password) return 'do not put credentials in the URL; use auth with passwordEnv, passwordFile, tokenEnv or tokenFile';
    return undefined;
  }
  if (/^file:\/\//i.test(repo)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\\@]+@[^/\\:]+:/.test(repo)) return 'only local paths and http(s) URLs are supported';
  return undefined;
}

function secretRef(kind: 'env' | 'file', description: string) {
  const base = z.string({ error: (iss) => `expected ${kind === 'env' ? 'an environment variable name' : 'a file path'}, got ${kindOf(iss.input)}` }).min(1, 'must not be empty');
  // The message does not echo the value: a wrong value here is often the secret itself.
  return (kind === 'env' ? base.regex(ENV_NAME_RE, 'not a valid environment variable name (name the variable; do not put the secret here)') : base).describe(description);
}

const AuthSchema = z
  .strictObject({
    username: z.string().optional().describe('User name for basic auth (a literal; not a secret).'),
    passwordEnv: secretRef('env', 'Environment variable holding the password.').optional(),
    passwordFile: secretRef('file', 'File holding the password (relative to the config file; one trailing newline dropped).').optional(),
    tokenEnv: secretRef('env', 'Environment variable holding a bearer token.').optional(),
    tokenFile: secretRef('file', 'File holding a bearer token (relative to the config file; one trailing newline dropped).').optional(),
  })
  .superRefine((a, ctx) => {
    if (AUTH_SECRETS.filter((k) => a[k] !== undefined).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of passwordEnv, passwordFile, tokenEnv or tokenFile' });
    }
  })
  .describe('Credentials for an http(s) repo; secrets come from the environment or a file, never from this file.');

const SourceSchema = z
  .strictObject({
    name: z
      .string()
      .max(63, { error: (iss) => `invalid name ${show(iss.input)}: at most 63 characters` })
      .regex(NAME_RE, { error: (iss) => `invalid name ${show(iss.input)}: use lowercase letters, digits and "-", starting and ending with a letter or digit` })
      .describe('Unique name of the source (a DNS label); names it in /status, metrics and /hook/<name>.'),
    repo: z
      .string()
      .min(1, 'must not be empty')
      .superRefine((s, ctx) => {
        const problem = repoProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('An http(s) URL, or a local repository path (relative to the config file).'),
    ref: z.string().min(1, 'must not be empty').optional().describe("Branch, tag or commit to follow (default: the repository's HEAD)."),
    path: z
      .string()
      .superRefine((s, ctx) => {
        if (path.posix.isAbsolute(s) || path.win32.isAbsolute(s) || s.split(/[\\/]/).includes('..')) {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} must be a relative path inside the repository (no leading "/", no "..")` });
        }
      })
      .default('')
      .describe('Repository subdirectory holding the manifests; "" is the root.'),
    interval: duration('How often to poll (at least 1s).', (ms) => (ms < 1000 ? 'must be at least 1s' : undefined)).default('1m'),
    timeout: duration('How long one reconcile pass (fetch, apply, rollout wait) may take.', (ms) => (ms <= 0 ? 'must be greater than 0s' : undefined)).default('5m'),
    auth: AuthSchema.optional(),
  })
  .describe('A Git repository (ref and path) whose manifests the daemon keeps applied.');

const ConfigSchema = z
  .strictObject({
    state: z.string().min(1, 'must not be empty').default('.mflux').describe('State directory (relative to the config file).'),
    listen: listen('Address of the HTTP server (/healthz, /readyz, /status, /metrics, /hook/<source>).').default(DEFAULT_LISTEN),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS, { error: (iss) => `invalid level ${show(iss.input)} (use ${LOG_LEVELS.join(', ')})` }).default('info'),
        format: z.enum(LOG_FORMATS, { error: (iss) => `invalid format ${show(iss.input)} (use ${LOG_FORMATS.join(', ')})` }).default('json'),
      })
      .prefault({})
      .describe('Logging.'),
    simulation: z
      .strictObject({
        podReadyAfter: duration('Time a simulated pod takes to become ready.').optional(),
        podReadyJitter: duration('Random extra readiness delay per pod.').optional(),
        podTerminateAfter: duration('Time a simulated pod takes to terminate.').optional(),
        failImages: z.array(z.string()).optional().describe('Image patterns ("*:broken") whose pods never become ready.'),
        podCompleteAfter: duration('Time a run-to-completion (Job) pod runs after it started.').optional(),
        crashImages: z.array(z.string()).optional().describe('Image patterns ("*:crash") whose containers start and exit 1.'),
        failProbes: z.array(z.string()).optional().describe('Image patterns ("*:unready") whose containers run but never pass their readiness probe.'),
        nodes: z.number().int().min(1).max(1000).optional().describe('Number of simulated nodes (default 3).'),
        cpuUtilization: z
          .union([z.string(), z.number()], { error: (iss) => `invalid cpuUtilization ${show(iss.input)} (use a whole percentage of the CPU request, e.g. 50%)` })
          .refine((v) => parseCpuUtilization(v) !== undefined, { error: (iss) => `invalid cpuUtilization ${show(iss.input)} (use a whole percentage of the CPU request, e.g. 50%, from 0% to 10000%)` })
          .optional()
          .describe('CPU use of every pod as a percentage of its request, read by HorizontalPodAutoscalers (default: each HPA\'s own target).'),
      })
      .optional()
      .describe('Knobs of the embedded simulated cluster.'),
    policy: z
      .strictObject({
        maxPrune: z
          .union([z.number(), z.string()], { error: (iss) => `invalid value ${show(iss.input)} (use a count like 5 or a percentage like 20%)` })
          .superRefine((v, ctx) => {
            if (parseMaxPrune(String(v)) === undefined) ctx.addIssue({ code: 'custom', message: `invalid value ${show(v)} (use a count like 5 or a percentage like 20%)` });
          })
          .default(DEFAULT_POLICY.maxPrune)
          .describe('Most objects one pass may prune: a count, or a percentage of the inventory.'),
        block: z
          .array(
            z.enum(IMPACT_CODES as unknown as [ImpactCode, ...ImpactCode[]], {
              error: (iss) => `unknown impact code ${show(iss.input)} (use ${IMPACT_CODES.join(', ')})`,
            }),
          )
          .default([])
          .describe('Impacts that block a change instead of warning.'),
      })
      .optional()
      .describe('The guard policy.'),
    webhook: z
      .strictObject({
        secretEnv: secretRef('env', 'Environment variable holding the webhook secret (unset: webhooks answer 401).').optional(),
        secretFile: secretRef('file', 'File holding the webhook secret (relative to the config file; one trailing newline dropped).').optional(),
      })
      .superRefine((w, ctx) => {
        if ((w.secretEnv === undefined) === (w.secretFile === undefined)) ctx.addIssue({ code: 'custom', message: 'set exactly one of secretEnv or secretFile' });
      })
      .optional()
      .describe('The webhook receiver (POST /hook/<source>, HMAC-signed with the secret).'),
    apiServer: z
      .strictObject({ listen: listen('Address of the read-only Kubernetes API over the simulated cluster.').default(DEFAULT_API_LISTEN) })
      .optional()
      .describe('Serve the simulated cluster as a read-only Kubernetes API (for kubectl).'),
    sources: z
      .array(SourceSchema, { error: (iss) => (iss.input === undefined || iss.input === null ? 'at least one source is required' : `expected a list of sources, got ${kindOf(iss.input)}`) })
      .min(1, 'at least one source is required')
      .describe('The repositories to reconcile; at least one.'),
  })
  .meta({
    title: 'mini-flux daemon configuration',
    description: 'The file `mflux daemon --config FILE` reads: the sources to reconcile and how the daemon runs. Unknown keys are errors; relative paths are relative to this file.',
  });

type RawConfig = z.output<typeof ConfigSchema>;

/** renderPath writes a zod issue path the way the messages name keys: a.b[0].c. */
function renderPath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

function at(p: readonly PropertyKey[], message: string): string {
  const where = renderPath(p);
  return where ? `${where}: ${message}` : message;
}

/** issueLines turns one zod issue into message lines (one per unknown key). */
function issueLines(issue: z.core.$ZodIssue): string[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => at(issue.path, `unknown key ${JSON.stringify(k)}`));
    case 'invalid_type':
      // Schemas with their own wording set a message; zod's default starts with "Invalid input".
      if (!issue.message.startsWith('Invalid input')) return [at(issue.path, issue.message)];
      if (issue.input === undefined) return [at(issue.path, 'required')];
      return [at(issue.path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${kindOf(issue.input)}`)];
    default:
      return [at(issue.path, issue.message)];
  }
}

/** duplicateNames finds repeated source names in the raw document, so they are reported along with schema problems. */
function duplicateNames(doc: unknown): string[] {
  const sources = (doc as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return [];
  const seen = new Map<string, number>();
  const out: string[] = [];
  sources.forEach((s, i) => {
    const name = (s as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else out.push(`sources[${i}].name: duplicate source name ${JSON.stringify(name)} (also sources[${first}])`);
  });
  return out;
}

/** configError builds the ConfigInvalid error: each line names the file; `lines` are already prefixed. */
function configError(file: string, lines: string[]): MfluxError {
  const err = new MfluxError('ConfigInvalid', lines.join('\n'), { subject: file, details: { problems: lines } });
  // MfluxError writes "subject: message"; a YAML position needs "file:line:col:", so the lines carry the file themselves.
  err.message = lines.join('\n');
  return err;
}

/** parseListen reads "127.0.0.1:9797", "[::1]:80" or ":9797" (host 127.0.0.1); throws Usage naming `subject` when malformed. */
export function parseListen(text: string, subject: string): { host: string; port: number } {
  const problem = listenProblem(text);
  if (problem) throw new MfluxError('Usage', problem, { subject });
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text.trim())!;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

/** resolveRepo makes a local repo path absolute against the config file's directory; URLs stay as written. */
function resolveRepo(repo: string, dir: string): string {
  if (isRemoteUrl(repo)) return repo;
  if (/^file:\/\//i.test(repo)) return fileURLToPath(repo);
  return path.resolve(dir, repo);
}

/** SecretReader resolves env/file secret references, collecting problems instead of stopping at the first. */
class SecretReader {
  readonly problems: string[] = [];
  constructor(
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** fromEnv returns the variable's value; unset or empty is a problem unless `optional`. */
  fromEnv(key: string, name: string, optional = false): string | undefined {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (!optional) this.problems.push(`${key}: environment variable ${name} is ${v === undefined ? 'not set' : 'empty'}`);
    return undefined;
  }

  /** fromFile reads a secret file (relative to the config file), dropping one trailing newline as `echo` adds it. */
  fromFile(key: string, file: string): string | undefined {
    const abs = path.resolve(this.dir, file);
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (err) {
      this.problems.push(`${key}: cannot read file ${abs}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      return undefined;
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') {
      this.problems.push(`${key}: file ${abs} is empty`);
      return undefined;
    }
    return value;
  }
}

function credentialsOf(key: string, auth: NonNullable<RawConfig['sources'][number]['auth']>, secrets: SecretReader): Credentials {
  const creds: Credentials = {};
  if (auth.username !== undefined) creds.username = auth.username;
  const password = auth.passwordEnv !== undefined ? secrets.fromEnv(`${key}.passwordEnv`, auth.passwordEnv) : auth.passwordFile !== undefined ? secrets.fromFile(`${key}.passwordFile`, auth.passwordFile) : undefined;
  const token = auth.tokenEnv !== undefined ? secrets.fromEnv(`${key}.tokenEnv`, auth.tokenEnv) : auth.tokenFile !== undefined ? secrets.fromFile(`${key}.tokenFile`, auth.tokenFile) : undefined;
  if (password !== undefined) creds.password = password;
  if (token !== undefined) creds.token = token;
  return creds;
}

/**
 * parseConfig reads config text named `file` (used in messages as given; relative paths resolve
 * against its directory) with secrets from `env`. Pure except for reading secret files. Throws
 * ConfigInvalid listing every problem, one per line. Example: "sources: [{name: app, repo: ./r}]"
 * in /etc/mflux/c.yaml → one source, repo /etc/mflux/r, ref main, interval 1m, timeout 5m.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv): DaemonConfig {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let doc: unknown;
  try {
    // js-yaml refuses an input with no document; an empty (or comment-only) file is an empty mapping.
    doc = text.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l)) ? {} : load(text);
  } catch (err) {
    const e = err as { mark?: { line?: number; column?: number }; reason?: string; message?: string };
    const line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : 1;
    const column = typeof e.mark?.column === 'number' ? e.mark.column + 1 : 1;
    const reason = e.reason ?? String(e.message ?? err).split('\n')[0];
    throw configError(file, [`${file}:${line}:${column}: YAML syntax error: ${reason}`]);
  }
  // An empty file is an empty mapping, so the message is the useful "at least one source is required".
  if (doc === undefined || doc === null) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(file, [`${file}: expected a mapping at the top level, got ${kindOf(doc)}`]);

  const parsed = ConfigSchema.safeParse(doc, { reportInput: true });
  const problems = [...(parsed.success ? [] : parsed.error.issues.flatMap(issueLines)), ...duplicateNames(doc)];
  if (!parsed.success || problems.length) throw configError(file, problems.map((p) => `${file}: ${p}`));
  const raw = parsed.data;

  const warnings: string[] = [];
  const secrets = new SecretReader(dir, env);
  const sources = raw.sources.map((s, i): SourceConfig => {
    const out: SourceConfig = {
      name: s.name,
      repo: resolveRepo(s.repo, dir),
      ref: s.ref,
      path: s.path,
      intervalMs: parseDuration(s.interval)!,
      timeoutMs: parseDuration(s.timeout)!,
    };
    if (s.auth) {
      if (isRemoteUrl(s.repo)) out.credentials = credentialsOf(`sources[${i}].auth`, s.auth, secrets);
      else warnings.push(`sources[${i}].auth: ignored: the repo is a local path, not an http(s) URL`);
    }
    return out;
  });

  let webhookSecret: string | undefined;
  if (raw.webhook?.secretEnv !== undefined) {
    webhookSecret = secrets.fromEnv('webhook.secretEnv', raw.webhook.secretEnv, true);
    // A first run without the variable should still start: webhooks are then refused, polling goes on.
    if (webhookSecret === undefined) warnings.push(`webhook: ${raw.webhook.secretEnv} is not set; POST /hook/<source> answers 401 until it is`);
  } else if (raw.webhook?.secretFile !== undefined) {
    webhookSecret = secrets.fromFile('webhook.secretFile', raw.webhook.secretFile);
  }
  if (secrets.problems.length) throw configError(file, secrets.problems.map((p) => `${file}: ${p}`));

  const simulation: DaemonConfig['simulation'] = {};
  const sim = raw.simulation;
  if (sim?.podReadyAfter !== undefined) simulation.podReadyAfterMs = parseDuration(sim.podReadyAfter)!;
  if (sim?.podReadyJitter !== undefined) simulation.podReadyJitterMs = parseDuration(sim.podReadyJitter)!;
  if (sim?.podTerminateAfter !== undefined) simulation.podTerminateAfterMs = parseDuration(sim.podTerminateAfter)!;
  if (sim?.failImages !== undefined) simulation.failImages = [...sim.failImages];
  if (sim?.podCompleteAfter !== undefined) simulation.podCompleteAfterMs = parseDuration(sim.podCompleteAfter)!;
  if (sim?.crashImages !== undefined) simulation.crashImages = [...sim.crashImages];
  if (sim?.failProbes !== undefined) simulation.failProbes = [...sim.failProbes];
  if (sim?.nodes !== undefined) simulation.nodes = sim.nodes;
  if (sim?.cpuUtilization !== undefined) simulation.cpuUtilization = parseCpuUtilization(sim.cpuUtilization)!;

  const config: DaemonConfig = {
    file: abs,
    stateDir: path.resolve(dir, raw.state),
    listen: parseListen(raw.listen, `${file}: listen`),
    log: { level: raw.log.level, format: raw.log.format },
    simulation,
    policy: raw.policy ? { maxPrune: parseMaxPrune(String(raw.policy.maxPrune))!, block: [...new Set(raw.policy.block)] } : { ...DEFAULT_POLICY, block: [...DEFAULT_POLICY.block] },
    sources,
    warnings,
  };
  if (webhookSecret !== undefined) config.webhookSecret = webhookSecret;
  if (raw.apiServer) config.apiServer = parseListen(raw.apiServer.listen, `${file}: apiServer.listen`);
  return config;
}

/** loadConfig reads and parses the config file at `file` (env defaults to process.env); a missing file is ConfigInvalid. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw configError(file, [`${file}: cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, file, env);
}

/** configJSONSchema is the JSON Schema (draft 2020-12) of the file format, for editors and docs; generated from the zod schema. */
export function configJSONSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: 'input' }) as Record<string, unknown>;
}
