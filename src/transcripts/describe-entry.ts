import type { TranscriptEntry } from '../core/transcript';

/** One line a person can read for a transcript entry (English: exports are for reviews). */
export function describeEntry(entry: TranscriptEntry): string {
  const d = entry.data as Record<string, unknown>;
  const step = typeof d.stepId === 'string' ? d.stepId : '';
  const by = (d.by as { name?: string; id?: string } | undefined)?.name ?? entry.actor ?? 'agent';
  switch (entry.kind) {
    case 'incident.started':
      return `Incident opened for ${vmName(d.vm)}`;
    case 'vm.checked':
      return `VM checked: ${String(d.status)}${d.detail ? ` (${String(d.detail)})` : ''}`;
    case 'step.awaiting':
      return `Waiting for a decision on ${step} (attempt ${String(d.attempt)})`;
    case 'step.outcomeUnknown':
      return `Outcome of ${step} unknown after a restart; asking again (attempt ${String(d.attempt)})`;
    case 'step.notApplicable':
      return `${step} not needed for what was found and done so far: skipped`;
    case 'step.approved':
      return `${by} approved ${step} (attempt ${String(d.attempt)})${paramsText(d.params)}${
        d.needs ? ` (approval ${String(d.approvals)} of ${String(d.needs)})` : ''
      }`;
    case 'step.skipped':
      return `${by} skipped ${step}`;
    case 'step.answered':
      return `${by} answered ${step}: ${String(d.answer)}`;
    case 'step.refused':
      return `Refused ${String(d.command)}${step ? ` of ${step}` : ''} from ${entry.actor ?? 'agent'}${
        d.repeated ? ` ${String(d.count)} more time(s)` : ''
      }: ${String(d.reason)}`;
    case 'step.dispatching':
      return `Sending ${step}`;
    case 'step.output':
      return `${step} ran${d.script ? ` ${String(d.script)}` : d.action ? ` ${String(d.action)}` : ''}: ${String(d.outcome)} in ${String(d.durationMs)} ms`;
    case 'step.finished':
      return `${step} finished: ${String(d.outcome)}`;
    case 'causes.found': {
      // By name, as the article says them (the id only for an entry written without one).
      const causes = (d.causes as { id: string; title?: { en?: string } }[] | undefined) ?? [];
      return causes.length
        ? `Causes found by ${step}: ${causes.map((c) => c.title?.en ?? c.id).join('; ')}`
        : `No cause found by ${step}`;
    }
    case 'message.posted': {
      const m = d.message as { kind?: string; text?: { en?: string }; title?: { en?: string } } | undefined;
      return `Posted ${m?.kind ?? 'message'}: ${m?.text?.en ?? m?.title?.en ?? ''}`;
    }
    case 'incident.aborted':
      return `${by} aborted the incident${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'incident.undoAsked':
      return d.step
        ? `${by} asked to undo the change of ${String(d.step)}`
        : `${by} asked to undo the incident's changes`;
    case 'approval.expired':
      return `The approval of ${step} expired`;
    case 'incident.ended':
      return `Incident ended: ${String(d.outcome)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'error':
      return `Error: ${String(d.message ?? '')}`;
  }
}

function vmName(vm: unknown): string {
  const v = vm as { resourceGroup?: string; name?: string } | undefined;
  return v?.name ? `${v.resourceGroup}/${v.name}` : 'an unknown VM';
}

function paramsText(params: unknown): string {
  const entries = Object.entries((params as Record<string, unknown>) ?? {});
  return entries.length ? ` with ${entries.map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : '';
}
