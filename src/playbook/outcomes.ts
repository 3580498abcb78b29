import type { StepDef } from './schema';

/**
 * The outcomes a step can end with, by kind. `skipped` is also taken when a step does not
 * apply to the evidence. Evidence steps end `clear` (no cause) or `causes`; their `next`
 * may also name `cause:<id>` to route on one particular cause that remains.
 */
export function outcomesOf(step: StepDef): string[] {
  switch (step.kind) {
    case 'runCommand':
      return step.evidence
        ? ['clear', 'causes', 'failed', 'unreadable', 'skipped']
        : ['ok', 'failed', 'unreadable', 'skipped'];
    case 'azure':
      return ['ok', 'failed', 'skipped'];
    case 'question':
    case 'manual':
      return step.when ? [...step.answers.map((a) => a.id), 'skipped'] : step.answers.map((a) => a.id);
  }
}

/** Outcomes that count as "the step ran and did its job" for `when.ran`. */
export const SuccessOutcomes: ReadonlySet<string> = new Set(['ok', 'clear', 'causes', 'done']);

/** Whether a step needs an approval before it runs: it touches the VM or Azure. */
export function needsApproval(step: StepDef): boolean {
  return step.kind === 'runCommand' || step.kind === 'azure';
}

export const CausePrefix = 'cause:';
