import type { IncidentRecord } from '../../conversation/ports';
import type { TranscriptEntry } from '../../core/transcript';
import { contextOf } from '../../engine/transition-incident';
import { Texts } from '../../texts/catalogue';
import { describeEntry } from '../../transcripts/describe-entry';
import type { TranscriptExport } from '../../transcripts/render-transcript';
import { type ResourcesNow, resourcesSection } from './azure-resources';
import type { CauseNames, PlaybookLookup } from './cause-names';
import { evidenceTable } from './evidence-table';
import { esc } from './html';
import { reviewPage, timeTag } from './times';

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

/**
 * One row per entry, except the chat messages: each `message.posted` is folded into the row
 * of the entry before it (the event that made it said), listed there with its own number, so
 * every number appears once and the count above the table adds up.
 */
function foldMessages(entries: TranscriptEntry[]): { entry: TranscriptEntry; messages: TranscriptEntry[] }[] {
  const rows: { entry: TranscriptEntry; messages: TranscriptEntry[] }[] = [];
  for (const e of entries) {
    const last = rows.at(-1);
    if (e.kind === 'message.posted' && last) last.messages.push(e);
    else rows.push({ entry: e, messages: [] });
  }
  return rows;
}

function outputDetails(id: string, e: TranscriptEntry, now: Date): string {
  const d = e.data as Record<string, unknown>;
  const script = typeof d.script === 'string' ? d.script : undefined;
  const link = script
    ? ` · <a class="view-script" href="/incidents/${esc(id)}/scripts/${esc(encodeURIComponent(script))}">${esc(Texts.web.viewScript.en)}</a>`
    : '';
  const times = `${typeof d.startedAt === 'string' ? timeTag(d.startedAt, now, true) : ''} → ${typeof d.endedAt === 'string' ? timeTag(d.endedAt, now, true) : ''}`;
  return `${link}<details><summary>${esc(script ?? d.action)} · params ${esc(JSON.stringify(d.params ?? {}))}${d.scriptSha256 ? ` · sha256 ${esc(String(d.scriptSha256).slice(0, 16))}…` : ''} · ${times} (${esc(d.durationMs)} ms) · ${esc(d.outcome)}</summary><pre>${esc(d.stdout ?? '')}${d.stderr ? `\n--- stderr ---\n${esc(d.stderr)}` : ''}</pre></details>`;
}

/** The coloured risk badge of a step, as on the playground's cards; '' for steps without one. */
export function riskBadge(
  playbooks: PlaybookLookup | undefined,
  playbookId: string,
  stepId: unknown,
): string {
  const step = typeof stepId === 'string' ? playbooks?.(playbookId)?.stepById.get(stepId) : undefined;
  if (!step || !('risk' in step) || !step.risk) return '';
  return ` <span class="badge risk-${esc(step.risk)}">${esc(Texts.risk[step.risk].en)}</span>`;
}

export function timelinePage(
  x: TranscriptExport,
  record: IncidentRecord,
  names: CauseNames,
  playbooks?: PlaybookLookup,
  now = new Date(),
  resources?: ResourcesNow,
): string {
  const i = x.incident;
  const chain = x.verification.ok
    ? `<span id="chain" class="badge ok">hash chain verified (${x.verification.entries} entries)</span>`
    : `<span id="chain" class="badge bad">hash chain BROKEN at entry ${x.verification.seq}: ${esc(x.verification.problem)}</span>`;
  const folded = foldMessages(x.entries);
  const rows = folded
    .map(({ entry: e, messages }) => {
      const said = messages.length
        ? `<details class="said"><summary>${esc(Texts.web.messages.en)} (${messages.map((m) => `#${m.seq}`).join(', ')})</summary><ul>${messages.map((m) => `<li>#${m.seq} ${esc(describeEntry(m))}</li>`).join('')}</ul></details>`
        : '';
      const output = e.kind === 'step.output' ? outputDetails(i.id, e, now) : '';
      const risk =
        e.kind === 'step.awaiting'
          ? riskBadge(playbooks, record.playbookId, (e.data as { stepId?: unknown }).stepId)
          : '';
      return `<tr class="entry ${esc(e.kind.replace('.', '-'))}"><td class="seq">${e.seq}</td><td class="when">${timeTag(e.at, now, true)}</td><td class="who">${esc(e.actor ?? 'agent')}</td><td>${esc(describeEntry(e))}${risk}${output}${said}</td></tr>`;
    })
    .join('');
  const messageCount = x.entries.length - folded.length;
  const count = Texts.web.folded.en
    .replace('{entries}', String(x.entries.length))
    .replace('{rows}', String(folded.length))
    .replace('{messages}', String(messageCount));
  const ctx = contextOf(record.snapshot);
  const causes = i.causes.map((c) => names(record.playbookId, c)).join('; ') || 'none';
  return reviewPage(
    `Incident ${i.id}`,
    `<h1>Incident ${esc(i.id)} ${chain}</h1>
<p>VM <b>${esc(`${i.vm.resourceGroup}/${i.vm.name}`)}</b> · opened by ${esc(i.requester.name ?? i.requester.id)} on ${esc(`${i.channel.platform} · ${i.channel.channel}`)} · ${timeTag(i.createdAt, now)} · outcome <b id="outcome">${esc(i.outcome ?? `open (${i.state})`)}</b> · causes <span id="causes">${esc(causes)}</span></p>
<p><a id="export-md" href="/api/incidents/${esc(i.id)}/transcript?format=md" download="rdp-fix-${esc(i.id)}.md">Export Markdown</a> · <a id="export-json" href="/api/incidents/${esc(i.id)}/transcript?format=json" download="rdp-fix-${esc(i.id)}.json">Export JSON</a></p>
<h2>Steps over time</h2>${gantt(x.entries)}
<h2>Evidence before and after</h2>${evidenceTable(ctx.firstEvidence, ctx.evidence)}
${resourcesSection(resources)}
<h2>Timeline</h2><p id="timeline-count" class="muted">${esc(count)}</p><table id="timeline"><thead><tr><th>#</th><th>Time</th><th>Who</th><th>What</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}
