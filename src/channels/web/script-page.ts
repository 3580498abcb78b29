import type { IncidentRecord } from '../../conversation/ports';
import type { TranscriptEntry } from '../../core/transcript';
import { Texts } from '../../texts/catalogue';
import type { PlaybookLookup } from './cause-names';
import { esc } from './html';
import { reviewPage } from './times';

/**
 * A script an incident ran, whole, as a code block: what chat cannot show in full links here.
 * The text comes from the loaded playbook; when its hash is not the one the transcript
 * recorded, the page says so (the playbook changed since). Undefined for a script the
 * incident never ran and its playbook does not have.
 */
export function scriptPage(
  record: IncidentRecord,
  entries: TranscriptEntry[],
  name: string,
  playbooks: PlaybookLookup | undefined,
): string | undefined {
  const scripts = playbooks?.(record.playbookId)?.scripts ?? {};
  // Own keys only: a name like `constructor` is no script.
  const script = Object.hasOwn(scripts, name) ? scripts[name] : undefined;
  const ran = entries
    .map((e) => e.data as { script?: string; scriptSha256?: string })
    .find((d) => d.script === name)?.scriptSha256;
  if (!script) return undefined;
  const changed =
    ran && ran !== script.sha256
      ? `<p class="badge bad">${esc(Texts.web.scriptChanged.en.replace('{sha}', ran))}</p>`
      : '';
  return reviewPage(
    `${name} · incident ${record.id}`,
    `<h1>${esc(name)}</h1><p><a href="/incidents/${esc(record.id)}">← incident ${esc(record.id)}</a> · sha256 <code>${esc(script.sha256)}</code> · ${script.text.split('\n').length} lines</p>${changed}<pre id="script" class="script">${esc(script.text)}</pre>`,
  );
}
