import type { IncidentRecord } from '../../conversation/ports';
import { contextOf } from '../../engine/transition-incident';
import { Texts } from '../../texts/catalogue';
import type { CauseNames } from './cause-names';
import { barChart, esc } from './html';
import { reviewPage, timeTag } from './times';

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

/** Whether `text` holds `part`, ignoring case: people type part of a name. */
const holds = (text: string, part: string) => text.toLowerCase().includes(part.trim().toLowerCase());

/**
 * The list's filters, newest first. VM, channel and cause match part of what the page shows,
 * in any case: the VM's group/name, the platform or the channel (`web`, `playground`), a
 * cause's id or its name.
 */
export function filterRecords(records: IncidentRecord[], q: ListQuery, names: CauseNames): IncidentRecord[] {
  return records
    .filter((r) => !q.vm || holds(`${r.vm.resourceGroup}/${r.vm.name}`, q.vm))
    .filter((r) => !q.channel || holds(r.channel.platform, q.channel) || holds(r.channel.channel, q.channel))
    .filter(
      (r) => !q.cause || r.causes.some((c) => holds(c, q.cause!) || holds(names(r.playbookId, c), q.cause!)),
    )
    .filter((r) => !q.requester || r.requester.id === q.requester || r.requester.name === q.requester)
    .filter((r) => !q.from || r.createdAt >= q.from)
    .filter((r) => !q.to || r.createdAt.slice(0, 10) <= q.to);
}

export function incidentsPage(
  records: IncidentRecord[],
  q: ListQuery,
  total: number,
  names: CauseNames,
  now = new Date(),
): string {
  const input = (name: keyof ListQuery, label: string, type = 'text') =>
    `<label>${label} <input name="${name}" type="${type}" value="${esc(q[name] ?? '')}"></label>`;
  const status = `<label>Status <select name="status"><option value="">any</option>${['open', 'closed']
    .map((s) => `<option ${q.status === s ? 'selected' : ''}>${s}</option>`)
    .join('')}</select></label>`;
  const rows = records
    .map(
      (
        r,
      ) => `<tr><td class="nowrap"><a href="/incidents/${esc(r.id)}">${esc(r.id)}</a></td><td class="when">${timeTag(r.createdAt, now)}</td>
<td class="nowrap">${esc(`${r.vm.resourceGroup}/${r.vm.name}`)}</td><td>${esc(r.requester.name ?? r.requester.id)}</td><td class="nowrap">${esc(`${r.channel.platform} · ${r.channel.channel}`)}</td>
<td>${badge(r)}</td><td>${esc(r.causes.map((c) => names(r.playbookId, c)).join('; ') || '–')}</td></tr>`,
    )
    .join('');
  const pageNo = q.page ?? 1;
  const params = new URLSearchParams(
    Object.entries(q).filter(([k, v]) => k !== 'page' && v) as [string, string][],
  );
  const nav = `${pageNo > 1 ? `<a href="?${params}&page=${pageNo - 1}">← newer</a>` : ''} page ${pageNo} ${total > pageNo * PageSize ? `<a href="?${params}&page=${pageNo + 1}">older →</a>` : ''}`;
  return reviewPage(
    'Incidents',
    `<h1>Incidents</h1><form class="filters" method="get">${input('vm', 'VM')}${status}${input('cause', 'Cause')}${input('requester', 'Requester')}${input('channel', 'Channel')}${input('from', 'From', 'date')}${input('to', 'To', 'date')}<button type="submit">Filter</button></form>
<table id="incidents"><thead><tr><th>Incident</th><th>Opened</th><th>VM</th><th>Requester</th><th>Channel</th><th>Status</th><th>Causes</th></tr></thead><tbody>${rows || '<tr><td colspan="7">No incident matches.</td></tr>'}</tbody></table><p>${nav}</p>`,
  );
}

function badge(r: IncidentRecord): string {
  if (r.status === 'open') return `<span class="badge open">open · ${esc(r.state)}</span>`;
  return `<span class="badge ${r.outcome === 'resolved' ? 'ok' : 'bad'}">${esc(r.outcome)}</span>`;
}

/** A cause bucket for the dashboard: never diagnosed is not the same as diagnosed clean. */
function causeBuckets(r: IncidentRecord, names: CauseNames): string[] {
  if (r.causes.length) return r.causes.map((c) => names(r.playbookId, c));
  return [contextOf(r.snapshot).firstEvidence == null ? Texts.web.notDiagnosed.en : Texts.web.noneFound.en];
}

export function dashboardPage(records: IncidentRecord[], waits: number[], names: CauseNames): string {
  const count = (key: (r: IncidentRecord) => string[]) => {
    const map = new Map<string, number>();
    for (const r of records) for (const k of key(r)) map.set(k, (map.get(k) ?? 0) + 1);
    return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  };
  const closed = records.filter((r) => r.status === 'closed');
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  const resolution = closed.map((r) => Date.parse(r.updatedAt) - Date.parse(r.createdAt));
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return reviewPage(
    'Dashboard',
    `<h1>Last 30 days</h1><p>${records.length} incidents, ${closed.length} closed.</p>
<div id="by-cause">${barChart(
      'Incidents per cause',
      count((r) => causeBuckets(r, names)),
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
