import type { IncidentRecord } from '../../conversation/ports';
import type { TranscriptEntry } from '../../core/transcript';
import { contextOf } from '../../engine/transition-incident';
import { describeEntry } from '../../transcripts/describe-entry';
import type { TranscriptExport } from '../../transcripts/render-transcript';
import { barChart, esc, page } from './html';

export interface ListQuery {
  vm?: string;
  status?: string;
  cause?: string;
  requester?: string;
  channel?: string;
  from?: string;
  to?: string;
  page?: number;
}

export const PageSize = 25;

/** Applies the filters the store cannot (cause, requester, date range), newest first. */
export function filterRecords(records: IncidentRecord[], q: ListQuery): IncidentRecord[] {
  return records
    .filter((r) => !q.cause || r.causes.includes(q.cause))
    .filter((r) => !q.requester || r.requester.id === q.requester || r.requester.name === q.requester)
    .filter((r) => !q.from || r.createdAt >= q.from)
    .filter((r) => !q.to || r.createdAt.slice(0, 10) <= q.to);
}

export function incidentsPage(records: IncidentRecord[], q: ListQuery, total: number): string {
  const input = (name: keyof ListQuery, label: string, type = 'text') =>
    `<label>${label} <input name="${name}" type="${type}" value="${esc(q[name] ?? '')}"></label>`;
  const status = `<label>Status <select name="status"><option value="">any</option>${['open', 'closed']
    .map((s) => `<option ${q.status === s ? 'selected' : ''}>${s}</option>`)
    .join('')}</select></label>`;
  const rows = records
    .map(
      (
        r,
      ) => `<tr><td><a href="/incidents/${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.createdAt.slice(0, 16).replace('T', ' '))}</td>
<td>${esc(`${r.vm.resourceGroup}/${r.vm.name}`)}</td><td>${esc(r.requester.name ?? r.requester.id)}</td><td>${esc(r.channel.platform)}</td>
<td>${badge(r)}</td><td>${esc(r.causes.join(', ') || '–')}</td></tr>`,
    )
    .join('');
  const pageNo = q.page ?? 1;
  const params = new URLSearchParams(
    Object.entries(q).filter(([k, v]) => k !== 'page' && v) as [string, string][],
  );
  const nav = `${pageNo > 1 ? `<a href="?${params}&page=${pageNo - 1}">← newer</a>` : ''} page ${pageNo} ${total > pageNo * PageSize ? `<a href="?${params}&page=${pageNo + 1}">older →</a>` : ''}`;
  return page(
    'Incidents',
    `<h1>Incidents</h1><form class="filters" method="get">${input('vm', 'VM')}${status}${input('cause', 'Cause')}${input('requester', 'Requester')}${input('channel', 'Channel')}${input('from', 'From', 'date')}${input('to', 'To', 'date')}<button type="submit">Filter</button></form>
<table id="incidents"><thead><tr><th>Incident</th><th>Opened (UTC)</th><th>VM</th><th>Requester</th><th>Channel</th><th>Status</th><th>Causes</th></tr></thead><tbody>${rows || '<tr><td colspan="7">No incident matches.</td></tr>'}</tbody></table><p>${nav}</p>`,
  );
}

function badge(r: IncidentRecord): string {
  if (r.status === 'open') return `<span class="badge open">open · ${esc(r.state)}</span>`;
  return `<span class="badge ${r.outcome === 'resolved' ? 'ok' : 'bad'}">${esc(r.outcome)}</span>`;
}

/** Per step attempt: when it waited for a person and when it ran, from the transcript. */
export function stepSpans(entries: TranscriptEntry[]) {
  const spans: { label: string; start: number; end: number; kind: 'wait' | 'run' }[] = [];
  const waiting = new Map<string, number>();
  for (const e of entries) {
    const d = e.data as { stepId?: string; attempt?: number; startedAt?: string; endedAt?: string };
    const key = `${d.stepId}#${d.attempt}`;
    if (e.kind === 'step.awaiting' || e.kind === 'step.outcomeUnknown') waiting.set(key, Date.parse(e.at));
    if (
      (e.kind === 'step.approved' || e.kind === 'step.skipped' || e.kind === 'step.answered') &&
      waiting.has(key)
    ) {
      spans.push({ label: String(d.stepId), start: waiting.get(key)!, end: Date.parse(e.at), kind: 'wait' });
      waiting.delete(key);
    }
    if (e.kind === 'step.output' && d.startedAt && d.endedAt) {
      spans.push({
        label: String(d.stepId),
        start: Date.parse(d.startedAt),
        end: Date.parse(d.endedAt),
        kind: 'run',
      });
    }
  }
  return spans;
}

function gantt(entries: TranscriptEntry[]): string {
  const spans = stepSpans(entries);
  if (!spans.length) return '<p class="muted">No step has run yet.</p>';
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.end), t0 + 1);
  const labels = [...new Set(spans.map((s) => s.label))];
  const x = (t: number) => 180 + Math.round(((t - t0) / (t1 - t0)) * 620);
  const bars = spans
    .map((s) => {
      const y = labels.indexOf(s.label) * 22 + 4;
      const w = Math.max(2, x(s.end) - x(s.start));
      return `<rect x="${x(s.start)}" y="${y}" width="${w}" height="14" fill="${s.kind === 'run' ? '#1f3a5f' : '#f59e0b'}"><title>${esc(s.label)} ${s.kind === 'run' ? 'ran' : 'waited for a person'} ${((s.end - s.start) / 1000).toFixed(1)} s</title></rect>`;
    })
    .join('');
  const names = labels
    .map((l, i) => `<text x="0" y="${i * 22 + 15}" font-size="12">${esc(l)}</text>`)
    .join('');
  return `<svg id="gantt" role="img" aria-label="Steps over time" width="820" height="${labels.length * 22 + 24}">${names}${bars}
<text x="180" y="${labels.length * 22 + 18}" font-size="11">0 s</text><text x="760" y="${labels.length * 22 + 18}" font-size="11">${((t1 - t0) / 1000).toFixed(1)} s</text></svg>
<p class="muted"><span class="legend-wait">■</span> waiting for approval <span class="legend-run">■</span> running</p>`;
}

export function timelinePage(x: TranscriptExport, record: IncidentRecord): string {
  const i = x.incident;
  const chain = x.verification.ok
    ? `<span id="chain" class="badge ok">hash chain verified (${x.verification.entries} entries)</span>`
    : `<span id="chain" class="badge bad">hash chain BROKEN at entry ${x.verification.seq}: ${esc(x.verification.problem)}</span>`;
  const rows = x.entries
    .filter((e) => e.kind !== 'message.posted')
    .map((e) => {
      const d = e.data as Record<string, unknown>;
      const output =
        e.kind === 'step.output'
          ? `<details><summary>${esc(d.script ?? d.action)} · params ${esc(JSON.stringify(d.params ?? {}))}${d.scriptSha256 ? ` · sha256 ${esc(String(d.scriptSha256).slice(0, 16))}…` : ''} · ${esc(d.startedAt)} → ${esc(d.endedAt)} (${esc(d.durationMs)} ms) · ${esc(d.outcome)}</summary><pre>${esc(d.stdout ?? '')}${d.stderr ? `\n--- stderr ---\n${esc(d.stderr)}` : ''}</pre></details>`
          : '';
      return `<tr class="entry ${esc(e.kind.replace('.', '-'))}"><td>${e.seq}</td><td>${esc(e.at.replace('T', ' ').slice(0, 19))}</td><td>${esc(e.actor ?? 'agent')}</td><td>${esc(describeEntry(e))}${output}</td></tr>`;
    })
    .join('');
  const ctx = contextOf(record.snapshot);
  const evidence = `<div class="cols"><div><h3>Evidence before</h3><pre id="evidence-before">${esc(JSON.stringify(ctx.firstEvidence, null, 2))}</pre></div><div><h3>Evidence after</h3><pre id="evidence-after">${esc(JSON.stringify(ctx.evidence, null, 2))}</pre></div></div>`;
  return page(
    `Incident ${i.id}`,
    `<h1>Incident ${esc(i.id)} ${chain}</h1>
<p>VM <b>${esc(`${i.vm.resourceGroup}/${i.vm.name}`)}</b> · opened by ${esc(i.requester.name ?? i.requester.id)} on ${esc(i.channel.platform)} · ${esc(i.createdAt)} · outcome <b id="outcome">${esc(i.outcome ?? `open (${i.state})`)}</b> · causes ${esc(i.causes.join(', ') || 'none')}</p>
<p><a id="export-md" href="/api/incidents/${esc(i.id)}/transcript?format=md" download="rdp-fix-${esc(i.id)}.md">Export Markdown</a> · <a id="export-json" href="/api/incidents/${esc(i.id)}/transcript?format=json" download="rdp-fix-${esc(i.id)}.json">Export JSON</a></p>
<h2>Steps over time</h2>${gantt(x.entries)}
${evidence}
<h2>Timeline</h2><table id="timeline"><thead><tr><th>#</th><th>Time (UTC)</th><th>Who</th><th>What</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function dashboardPage(records: IncidentRecord[], waits: number[]): string {
  const count = (key: (r: IncidentRecord) => string[]) => {
    const map = new Map<string, number>();
    for (const r of records) for (const k of key(r)) map.set(k, (map.get(k) ?? 0) + 1);
    return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  };
  const closed = records.filter((r) => r.status === 'closed');
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const resolution = closed.map((r) => Date.parse(r.updatedAt) - Date.parse(r.createdAt));
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return page(
    'Dashboard',
    `<h1>Last 30 days</h1><p>${records.length} incidents, ${closed.length} closed.</p>
<div id="by-cause">${barChart(
      'Incidents per cause',
      count((r) => (r.causes.length ? r.causes : ['none found'])),
    )}</div>
<div id="by-outcome">${barChart(
      'Incidents per outcome',
      count((r) => [r.outcome ?? 'open']),
    )}</div>
<div id="times">${barChart('Average times', [
      { label: 'time to resolution', value: seconds(avg(resolution)), unit: ' s' },
      { label: 'waiting for approval', value: seconds(avg(waits)), unit: ' s' },
    ])}</div>`,
  );
}
