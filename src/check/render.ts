/**
 * Rendering a check report: `text` for a terminal, `markdown` for a pull-request comment (a
 * summary table and a collapsible diff per object), `github` for GitHub Actions (one workflow
 * command per finding, then the text summary). JSON is the report itself. Pure string functions.
 */
import { formatDuration } from '../core/index.js';
import type { CheckReport, Finding, RolloutReport, ServingReport } from './report.js';

/** CheckFormat is one of the output formats. */
export type CheckFormat = 'text' | 'markdown' | 'json' | 'github';

/** CHECK_FORMATS lists the formats, for flag validation. */
export const CHECK_FORMATS: readonly CheckFormat[] = ['text', 'markdown', 'json', 'github'];

const SYMBOL: Record<string, string> = { create: '+', update: '~', prune: '-', blocked: '!', unchanged: '=' };

const short = (sha: string) => sha.slice(0, 7);
/** label writes a commit as its ref and short SHA ("main a1b2c3d"), or just the short SHA when the ref was a SHA. */
const label = (c: { ref: string; commit: string }) => (c.commit.startsWith(c.ref.toLowerCase()) ? short(c.commit) : `${c.ref} ${short(c.commit)}`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const duration = (s: number) => formatDuration(Math.round(s * 1000));

/** messageOf is a finding's message, naming the kustomization that changed its object when the message does not already. */
function messageOf(f: Finding): string {
  return f.kustomization && !f.message.includes(f.kustomization) ? `${f.message} (changed by ${f.kustomization})` : f.message;
}

function counts(findings: Finding[]): { errors: number; warnings: number; info: number } {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    info: findings.filter((f) => f.severity === 'info').length,
  };
}

function actionCounts(report: CheckReport): string {
  const by = new Map<string, number>();
  for (const c of report.changes) by.set(c.action, (by.get(c.action) ?? 0) + 1);
  const order: [string, string][] = [
    ['create', 'to create'],
    ['update', 'to update'],
    ['prune', 'to prune'],
    ['blocked', 'blocked'],
  ];
  const parts = order.filter(([a]) => by.has(a)).map(([a, w]) => `${by.get(a)} ${w}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

/** columns left-aligns rows of cells with two spaces between columns (the last column is not padded). */
export function columns(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length + 2))).join('').trimEnd()).join('\n') + (rows.length ? '\n' : '');
}

const percent = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
const atZero = (s: ServingReport) => `${duration(s.zeroSeconds)}${s.recovers ? '' : ' (not recovered)'}`;

function servingCells(s: ServingReport): string[] {
  return [s.object, String(s.readyBefore), String(s.minReady), `+${duration(s.minReadyAtSeconds)}`, String(s.peakEndpoints), String(s.desired), percent(s.minRatio), atZero(s)];
}

function rolloutCells(r: RolloutReport): string[] {
  return [r.object, r.change, r.strategy, String(r.maxSurge), String(r.maxUnavailable), String(r.replicas), String(r.peakPods), String(r.minAvailable), duration(r.durationSeconds), r.completes ? 'yes' : `no (${r.reason})`];
}

/** renderText is the terminal summary: verdict, findings, changes, and each rollout with its events. */
export function renderText(report: CheckReport): string {
  const n = counts(report.findings);
  const out: string[] = [];
  out.push(`mflux check: ${report.verdict.toUpperCase()} (${plural(n.errors, 'error')}, ${plural(n.warnings, 'warning')})`);
  out.push(`base ${label(report.base)} "${report.base.subject}" → head ${label(report.head)} "${report.head.subject}"`);
  if (report.findings.length) {
    out.push('', 'Findings:');
    for (const f of report.findings) out.push(`  ${f.severity.padEnd(7)} [${f.code}] ${messageOf(f).replace(/\r?\n/g, ' ')}`);
  }
  out.push('', `Changes: ${actionCounts(report)}`);
  for (const c of report.changes) out.push(`  ${SYMBOL[c.action] ?? '?'} ${c.object}${c.intended ? ` (${c.intended} blocked)` : ''}`);
  if (report.rollouts.length) {
    out.push('', 'Rollouts:');
    out.push(columns([['OBJECT', 'CHANGE', 'STRATEGY', 'SURGE', 'UNAVAILABLE', 'REPLICAS', 'PEAK PODS', 'MIN AVAILABLE', 'DURATION', 'COMPLETES'], ...report.rollouts.map(rolloutCells)], '  ').trimEnd());
    for (const r of report.rollouts) {
      if (!r.events.length) continue;
      out.push(`  ${r.object}:`);
      out.push(columns(r.events.map((e) => [`+${duration(e.offsetSeconds)}`, e.message]), '    ').trimEnd());
    }
  }
  if (report.services?.length) {
    out.push('', 'Serving:');
    out.push(columns([['SERVICE', 'BEFORE', 'MIN READY', 'AT', 'PEAK ENDPOINTS', 'DESIRED', 'MIN CAPACITY', 'AT ZERO'], ...report.services.map(servingCells)], '  ').trimEnd());
  }
  if (report.outcome === 'Blocked' || report.outcome === 'Invalid') out.push('', `${report.outcome}: nothing from head would be applied (mflux applies a commit whole or not at all); the cluster would keep running base.`);
  if (report.commits?.length) {
    out.push('', 'Commits (each deployed alone, oldest first):');
    out.push(columns(report.commits.map((c) => [short(c.commit), c.outcome, c.subject]), '  ').trimEnd());
  }
  return `${out.join('\n')}\n`;
}

// ---- Markdown ---------------------------------------------------------------------------------

/** MARKDOWN_LIMIT keeps a comment under GitHub's 65,536-character limit; diffs beyond it are left out. */
export const MARKDOWN_LIMIT = 60_000;
const MAX_TABLE_ROWS = 200;
/** MAX_SERVICE_COLUMNS keeps the Serving table readable; the JSON report has every Service. */
const MAX_SERVICE_COLUMNS = 12;

/** mdText escapes text for Markdown prose and table cells (no HTML, no table breaks, one line). */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]|])/g, '\\$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function code(s: string): string {
  const ticks = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length)) + 1;
  const fence = '`'.repeat(ticks);
  return `${fence}${ticks > 1 ? ' ' : ''}${s.replace(/\|/g, '\\|')}${ticks > 1 ? ' ' : ''}${fence}`;
}

function fenced(body: string, lang: string): string {
  // A line of three or more backticks (indented at most three spaces) would close a shorter fence.
  const longest = Math.max(2, ...[...body.matchAll(/^ {0,3}(`{3,})/gm)].map((m) => m[1]!.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${body.replace(/\n$/, '')}\n${fence}`;
}

const ICON = { error: '❌', warning: '⚠️', info: 'ℹ️', pass: '✅' } as const;

function objectVerdict(object: string, findings: Finding[]): string {
  const mine = findings.filter((f) => f.object === object && f.severity !== 'info');
  if (mine.some((f) => f.severity === 'error')) return `${ICON.error} ${mine.filter((f) => f.severity === 'error').map((f) => f.code).join(', ')}`;
  if (mine.length) return `${ICON.warning} ${mine.map((f) => f.code).join(', ')}`;
  return ICON.pass;
}

/** servingTable is the Markdown Serving table: one column per Service, one row per measure. */
function servingTable(report: CheckReport): string[] {
  const services = report.services!.slice(0, MAX_SERVICE_COLUMNS);
  const icon = (s: ServingReport) => {
    const mine = report.findings.filter((f) => f.object === s.object);
    return mine.some((f) => f.code === 'ServiceOutage') ? `${ICON.error} ` : mine.some((f) => f.code === 'CapacityDrop') ? `${ICON.warning} ` : '';
  };
  const row = (name: string, cell: (s: ServingReport) => string) => `| ${name} | ${services.map(cell).join(' | ')} |`;
  const out = [
    '#### Serving',
    '',
    `| | ${services.map((s) => code(s.object)).join(' | ')} |`,
    `|---|${services.map(() => '---:').join('|')}|`,
    row('ready before', (s) => String(s.readyBefore)),
    row('min ready', (s) => `${icon(s)}${s.minReady}${s.desired > 0 ? ` of ${s.desired}` : ''} at +${duration(s.minReadyAtSeconds)}`),
    row('min capacity', (s) => percent(s.minRatio)),
    row('peak endpoints', (s) => String(s.peakEndpoints)),
    row('time at 0 ready', atZero),
  ];
  if (report.services!.length > services.length) out.push('', `…and ${report.services!.length - services.length} more Services (see \`mflux check --format json\`).`);
  return out;
}

/**
 * renderMarkdown is a pull-request comment: a headline with the verdict, the findings, a summary
 * table (object, action, strategy, peak pods, min available, duration, verdict) and a collapsed
 * unified diff per object (Secrets masked). Diffs that would push it past MARKDOWN_LIMIT are left out.
 */
export function renderMarkdown(report: CheckReport, diffs: Map<string, string>): string {
  const n = counts(report.findings);
  const head = report.verdict === 'pass' ? `${ICON.pass} pass` : `${ICON.error} fail`;
  const out: string[] = [];
  out.push(`### mflux check: ${head}`);
  out.push('');
  out.push(
    `Base ${code(label(report.base))} → head ${code(label(report.head))}: ${actionCounts(report)}; ${plural(n.errors, 'error')}, ${plural(n.warnings, 'warning')}.`,
  );
  if (report.findings.length) {
    out.push('', '#### Findings', '');
    for (const f of report.findings) {
      const doc = f.file ? code(`${f.file}${f.line ? `:${f.line}` : ''}`) : '';
      const where = f.file ? (f.kustomization ? ` at ${code(f.kustomization)} patched ${doc}` : ` at ${doc}`) : '';
      out.push(`- ${ICON[f.severity]} **${f.code}**${f.object ? ` ${code(f.object)}` : ''}${where}: ${mdText(f.message)}`);
    }
  }
  if (report.changes.length) {
    const rollouts = new Map(report.rollouts.map((r) => [r.object, r]));
    out.push('', '#### Changes', '');
    out.push('| object | action | strategy | peak pods | min available | duration | verdict |');
    out.push('|---|---|---|---:|---:|---:|---|');
    for (const c of report.changes.slice(0, MAX_TABLE_ROWS)) {
      const r = rollouts.get(c.object);
      const action = c.intended ? `${c.intended} (blocked)` : r ? `${c.action} (${r.change})` : c.action;
      const strategy = r ? (r.strategy === 'RollingUpdate' ? `RollingUpdate (surge ${r.maxSurge}, unavailable ${r.maxUnavailable}${r.partition ? `, partition ${r.partition}` : ''})` : r.strategy) : '';
      // A Job serves nothing: its column says how many of its completions succeeded instead.
      const available = r?.succeeded !== undefined ? `${r.succeeded} of ${r.replicas} succeeded` : `${r?.minAvailable} of ${r?.replicas}`;
      const cells = r
        ? [String(r.peakPods), available, r.completes ? duration(r.durationSeconds) : `never (${mdText(r.reason)} at ${duration(r.durationSeconds)})`]
        : ['', '', ''];
      out.push(`| ${code(c.object)} | ${action} | ${strategy} | ${cells.join(' | ')} | ${objectVerdict(c.object, report.findings)} |`);
    }
    if (report.changes.length > MAX_TABLE_ROWS) out.push('', `…and ${report.changes.length - MAX_TABLE_ROWS} more changes (see \`mflux check --format json\`).`);

  }
  if (report.services?.length) out.push('', ...servingTable(report));
  if (report.outcome === 'Blocked' || report.outcome === 'Invalid') {
    out.push('', `**${report.outcome}**: nothing from head would be applied (mflux applies a commit whole or not at all); the cluster would keep running base.`);
  }
  if (report.commits?.length) {
    out.push('', '#### Commits, each deployed alone', '');
    out.push('| commit | outcome | subject |', '|---|---|---|');
    for (const c of report.commits) out.push(`| ${code(short(c.commit))} | ${c.outcome} | ${mdText(c.subject)} |`);
  }
  let text = out.join('\n');
  const details: string[] = [];
  let left = 0;
  for (const c of report.changes) {
    const diff = diffs.get(c.object);
    if (!diff) continue;
    const r = report.rollouts.find((x) => x.object === c.object);
    const events = r?.events.length ? `\n\nRollout events:\n\n${r.events.map((e) => `- +${duration(e.offsetSeconds)} ${mdText(e.message)}`).join('\n')}` : '';
    const block = `\n\n<details><summary><code>${htmlText(c.object)}</code> — ${c.intended ? `${c.intended} (blocked)` : c.action}</summary>\n\n${fenced(diff, 'diff')}${events}\n\n</details>`;
    if (text.length + details.join('').length + block.length > MARKDOWN_LIMIT) {
      left++;
      continue;
    }
    details.push(block);
  }
  if (details.length) text += `\n\n#### Diffs${details.join('')}`;
  if (left) text += `\n\n${left} more diff(s) left out to keep this comment short; run \`mflux check --format text\` or \`mflux diff\` to see them.`;
  return `${text}\n`;
}

// ---- GitHub Actions -----------------------------------------------------------------------------

/** escapeData escapes a workflow command's message: %, CR and LF (GitHub's rules). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** escapeProperty escapes a workflow command's property value: as data, plus ':' and ','. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

/** renderGitHub writes one `::error`/`::warning`/`::notice` workflow command per finding (file, line, title), then the text summary. */
export function renderGitHub(report: CheckReport): string {
  const lines = report.findings.map((f) => {
    const props: string[] = [];
    if (f.file) props.push(`file=${escapeProperty(f.file)}`);
    if (f.file && f.line) props.push(`line=${f.line}`);
    props.push(`title=${escapeProperty(f.object ? `${f.code} ${f.object}` : f.code)}`);
    // The annotation sits on the document's file (it exists in the PR); the message names the kustomization.
    return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(messageOf(f))}`;
  });
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${renderText(report)}`;
}

/** renderReport renders a report in one format. */
export function renderReport(format: CheckFormat, report: CheckReport, diffs: Map<string, string>): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(report, diffs);
    case 'github':
      return renderGitHub(report);
    case 'text':
      return renderText(report);
  }
}
