import { type ChainCheck, type TranscriptEntry, verifyChain } from '../core/transcript';
import type { IncidentRecord } from '../store/incident-store';
import { describeEntry } from './describe-entry';

/** What an export holds: the incident without its machine snapshot, the check, every entry. */
export interface TranscriptExport {
  incident: Omit<IncidentRecord, 'snapshot'>;
  verification: ChainCheck;
  entries: TranscriptEntry[];
}

export function buildExport(record: IncidentRecord, entries: TranscriptEntry[]): TranscriptExport {
  const { snapshot: _snapshot, ...incident } = record;
  return { incident, verification: verifyChain(entries), entries };
}

export function renderJson(x: TranscriptExport): string {
  return `${JSON.stringify(x, null, 2)}\n`;
}

/** Markdown for a post-incident review. Every value from outside is escaped for its place. */
export function renderMarkdown(x: TranscriptExport): string {
  const { incident: i, verification: v, entries } = x;
  const out: string[] = [
    `# Incident ${inline(i.id)}`,
    '',
    `- **VM:** ${inline(`${i.vm.resourceGroup}/${i.vm.name}`)} (subscription ${inline(i.vm.subscriptionId)})`,
    `- **Requested by:** ${inline(i.requester.name ?? i.requester.id)} (${inline(i.requester.id)}) in ${inline(i.channel.platform)} ${inline(i.channel.channel)}`,
    `- **Playbook:** ${inline(i.playbookId)} (${i.playbookHash.slice(0, 12)})`,
    `- **Opened:** ${i.createdAt} · **Last change:** ${i.updatedAt}`,
    `- **Status:** ${i.status} · **Outcome:** ${i.outcome ?? 'open'}`,
    `- **Causes found:** ${i.causes.length ? i.causes.map(inline).join(', ') : 'none'}`,
    `- **Transcript:** ${entries.length} entries, ${v.ok ? 'hash chain verified' : `hash chain BROKEN at entry ${v.seq}: ${v.problem}`}`,
    '',
    '## Timeline',
    '',
    '| # | Time (UTC) | Who | What |',
    '|---|---|---|---|',
    ...entries
      .filter((e) => e.kind !== 'message.posted')
      .map((e) => `| ${e.seq} | ${e.at} | ${cell(e.actor ?? 'agent')} | ${cell(describeEntry(e))} |`),
  ];
  const outputs = entries.filter((e) => e.kind === 'step.output');
  if (outputs.length) out.push('', '## Commands and actions', '');
  for (const e of outputs) {
    const d = e.data as Record<string, unknown>;
    out.push(
      `### ${inline(String(d.stepId))} (attempt ${String(d.attempt)})`,
      '',
      d.script
        ? `- Script: ${inline(String(d.script))}, sha256 ${inline(String(d.scriptSha256))}`
        : `- Azure action: ${inline(String(d.action))}`,
      `- Parameters: ${inline(JSON.stringify(d.params ?? {}))}`,
      `- Started ${String(d.startedAt)}, ended ${String(d.endedAt)}, ${String(d.durationMs)} ms, outcome ${inline(String(d.outcome))}`,
    );
    if (typeof d.stdout === 'string' && d.stdout) out.push('', fenced(d.stdout));
    if (typeof d.stderr === 'string' && d.stderr) out.push('', 'stderr:', '', fenced(d.stderr));
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** A table cell: no pipes, no line breaks, no HTML. */
function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|');
}

/** Inline text: one line, Markdown and HTML specials escaped. */
function inline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/([\\`*_[\]<>#])/g, '\\$1');
}

/** A code block whose fence is longer than any backtick run inside it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text.replace(/\n$/, '')}\n${fence}`;
}
