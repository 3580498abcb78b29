import { type Localized, perLocale } from '../core/types';
import type { IncidentRecord } from '../store/incident-store';
import type { DirectMessages } from './direct-messages';
import { Texts } from './texts';

/**
 * Shows one progress line while a step runs ("Running … 40 s"), updated every
 * `progressIntervalMs` so people see it is alive; returns the function that stops it. The
 * line's key is the one the step's result message updates at the end. `claimedNow`: this
 * replica has just claimed the attempt's dispatch, so no line was posted for it before and the
 * first show says so (`unposted`); a resumed attempt's line may exist and is looked up.
 */
export function showProgress(
  deps: { messages: DirectMessages; now: () => Date; progressIntervalMs: number },
  record: IncidentRecord,
  step: { id: string; attempt: number; title: Localized },
  started: Date,
  claimedNow: boolean,
): () => void {
  const { id: stepId, attempt, title } = step;
  let unposted = claimedNow;
  const post = () => {
    const elapsedMs = deps.now().getTime() - started.getTime();
    void deps.messages.post(record, {
      kind: 'progress',
      key: progressKey(record.id, stepId, attempt),
      stepId,
      text: perLocale((l) => Texts.running(title[l], Math.round(elapsedMs / 1000))[l]),
      elapsedMs,
      done: false,
      ...(unposted ? { unposted: true as const } : {}),
    });
    unposted = false;
  };
  post();
  if (deps.progressIntervalMs <= 0) return () => {};
  const timer = setInterval(post, deps.progressIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The key of a step attempt's progress line: its result message updates the same line. */
export function progressKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}:${stepId}:${attempt}:progress`;
}
