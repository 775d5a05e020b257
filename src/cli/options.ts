/** Shared command-line options: state dir, clock and simulation knobs. */
import { MfluxError, parseDuration } from '../core/index.js';
import { type SimKnobs, parseCpuUtilization } from '../cluster/sim/sim.js';
import { DEFAULT_POLICY, IMPACT_CODES, type ImpactCode, type Policy, parseMaxPrune } from '../plan/index.js';
import { resolveStateDir } from '../store/index.js';
import type { ClockKind, SessionOptions } from './session.js';

/** CommonOptions are accepted by every command that touches cluster state. */
export interface CommonOptions {
  state?: string;
  clock?: string;
  clockStart?: string;
}

/** SimOptions are the simulation knobs as flags. */
export interface SimFlagOptions {
  podReadyAfter?: string;
  podReadyJitter?: string;
  failImages?: string[];
  podTerminateAfter?: string;
  podCompleteAfter?: string;
  crashImages?: string[];
  failProbes?: string[];
  nodes?: string;
  cpuUtilization?: string;
}

/** durationFlag parses a duration flag or throws a Usage error naming it. */
export function durationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0) throw new MfluxError('Usage', `invalid duration for --${name}: "${value}" (use e.g. 10s, 1m30s, 500ms)`);
  return ms;
}

/** stateDirOf resolves --state, $MFLUX_STATE, ./.mflux. */
export function stateDirOf(o: CommonOptions): string {
  return resolveStateDir(o.state, process.env);
}

/** clockOf validates --clock. */
export function clockOf(o: CommonOptions): ClockKind {
  const c = o.clock ?? 'virtual';
  if (c !== 'virtual' && c !== 'real') throw new MfluxError('Usage', `invalid --clock "${c}": use virtual or real`);
  return c;
}

/** sessionOf gathers the session options every command shares. */
export function sessionOf(o: CommonOptions & SimFlagOptions, mode: 'read' | 'write'): SessionOptions {
  let clockStart: number | undefined;
  if (o.clockStart !== undefined) {
    clockStart = Date.parse(o.clockStart);
    if (!Number.isFinite(clockStart)) throw new MfluxError('Usage', `invalid --clock-start "${o.clockStart}": use an RFC 3339 time such as 2021-10-10T00:02:34Z`);
  }
  return { stateDir: stateDirOf(o), mode, clock: clockOf(o), knobs: knobsOf(o), clockStart };
}

/** knobsOf turns simulation flags into knobs (unset flags keep the defaults). */
export function knobsOf(o: SimFlagOptions): Partial<SimKnobs> {
  const k: Partial<SimKnobs> = {};
  const ready = durationFlag('pod-ready-after', o.podReadyAfter);
  if (ready !== undefined) k.podReadyAfterMs = ready;
  const jitter = durationFlag('pod-ready-jitter', o.podReadyJitter);
  if (jitter !== undefined) k.podReadyJitterMs = jitter;
  const term = durationFlag('pod-terminate-after', o.podTerminateAfter);
  if (term !== undefined) k.podTerminateAfterMs = term;
  if (o.nodes !== undefined) k.nodes = nodesFlag(o.nodes);
  if (o.failImages && o.failImages.length > 0) k.failImages = o.failImages.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const complete = durationFlag('pod-complete-after', o.podCompleteAfter);
  if (complete !== undefined) k.podCompleteAfterMs = complete;
  if (o.crashImages && o.crashImages.length > 0) k.crashImages = o.crashImages.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (o.failProbes && o.failProbes.length > 0) k.failProbes = o.failProbes.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (o.cpuUtilization !== undefined) {
    const u = parseCpuUtilization(o.cpuUtilization);
    if (u === undefined) throw new MfluxError('Usage', `invalid value for --cpu-utilization: "${o.cpuUtilization}" (use a whole percentage of the CPU request, e.g. 50%, from 0% to 10000%)`);
    k.cpuUtilization = u;
  }
  return k;
}

/** MAX_NODES bounds the nodes knob (a simulated cluster, not a real one). */
export const MAX_NODES = 1000;

/** nodesFlag parses --nodes: a whole number from 1 to MAX_NODES, else a Usage error naming the flag. */
export function nodesFlag(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_NODES) throw new MfluxError('Usage', `invalid value for --nodes: "${value}" (use a whole number from 1 to ${MAX_NODES})`);
  return n;
}

/** PolicyFlags are the guard's policy as flags. */
export interface PolicyFlags {
  maxPrune?: string;
  blockImpact?: string[];
}

/** policyOf turns --max-prune and --block-impact into a guard policy (defaults: 20%, nothing blocks). */
export function policyOf(o: PolicyFlags): Policy {
  const policy: Policy = { ...DEFAULT_POLICY, block: [] };
  if (o.maxPrune !== undefined) {
    const m = parseMaxPrune(o.maxPrune);
    if (m === undefined) throw new MfluxError('Usage', `invalid --max-prune "${o.maxPrune}": use a count (5) or a percentage of the inventory (20%)`);
    policy.maxPrune = m;
  }
  for (const code of (o.blockImpact ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!IMPACT_CODES.includes(code as ImpactCode)) throw new MfluxError('Usage', `invalid --block-impact "${code}": use ${IMPACT_CODES.join(', ')}`);
    policy.block.push(code as ImpactCode);
  }
  return policy;
}
