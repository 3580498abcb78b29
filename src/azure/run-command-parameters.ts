import type { ApprovedStep, ScriptToRun } from './vm-operations';

// In a file of its own, without the Azure SDK: the in-process simulated VMs (tests, the
// benchmarks' memory figures) send the same parameters without loading the SDK.

/**
 * A step's parameters as Run Command hands them to the script's param() block: named strings,
 * never spliced into the script text (both Run Commands take `[{name, value}]`).
 */
export function runCommandParameters(
  step: ApprovedStep,
  script: ScriptToRun,
): { name: string; value: string }[] {
  return [...Object.entries(step.params), ...Object.entries(script.engineParams ?? {})].map(
    ([name, value]) => ({
      name,
      value: String(value),
    }),
  );
}
