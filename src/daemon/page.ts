/** The status page at `/`: sources, revisions, outcomes and rollouts, refreshing itself. */
import type { StatusDocument } from './status.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** statusPage renders the status document as a small self-refreshing HTML page (no scripts, no external assets). */
export function statusPage(doc: StatusDocument): string {
  const rows = doc.sources
    .map((s) => {
      const deps = [
        ...s.deployments.map((d) => `<li class="${esc(d.state)}">${esc(d.object)}${d.revision !== undefined ? ` rev ${d.revision}` : ''}: ${esc(d.message)} (${d.available}/${d.replicas} available)</li>`),
        ...(s.workloads ?? []).map((w) => `<li class="${esc(w.state)}">${esc(w.object)}: ${esc(w.message)}</li>`),
        ...(s.services ?? []).map((v) => `<li class="${esc(v.state)}">${esc(v.object)}: ${v.state === 'Serving' || v.state === 'NoReadyEndpoints' ? `${v.ready}/${v.endpoints} endpoints ready` : esc(v.state)}</li>`),
      ].join('');
      const reasons = s.reasons.map((r) => `<li>${esc(r.code)}: ${esc(r.message)}</li>`).join('');
      return `<tr><td><b>${esc(s.name)}</b><br><small>${esc(s.url)} ${esc(s.ref)} ${esc(s.path)}</small></td>
<td class="${esc(s.outcome)}">${esc(s.outcome ?? '—')}${s.running ? ' (running)' : ''}${s.waiting ? `<br><small>${esc(s.waiting)}</small>` : ''}${reasons ? `<ul>${reasons}</ul>` : ''}</td>
<td><small>applied: ${esc(s.lastAppliedRevision ?? '—')}<br>attempted: ${esc(s.lastAttemptedRevision ?? '—')}</small></td>
<td><small>${esc(s.nextRunAt ?? 'now')}${s.failures ? `<br>${s.failures} failure(s), retry in ${Math.round((s.retryInMs ?? 0) / 1000)}s` : ''}</small></td>
<td><ul>${deps}</ul></td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>mflux daemon</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
.Applied,.NoChange,.Complete,.Serving{color:#196127}.Blocked,.Invalid,.Failed,.RolloutFailed,.NoReadyEndpoints{color:#b00020}.Progressing,.Interrupted{color:#8a6d00}ul{margin:0;padding-left:1.2em}</style></head>
<body><h1>mflux daemon</h1><p>${doc.ready ? 'ready' : 'not ready: some sources have not completed a pass'} · ${esc(doc.time)}</p>
<table><tr><th>source</th><th>outcome</th><th>revisions</th><th>next pass</th><th>rollouts</th></tr>
${rows}
</table></body></html>
`;
}
