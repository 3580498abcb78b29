import type { RunOutput } from '../azure/vm-operations';
import { ErrorCodes, isRdpFixError, messageOf } from '../core/errors';
import { redact, redactData } from '../core/redact';
import { type Localized, perLocale } from '../core/types';
import { fillTemplate } from '../playbook/facts';
import type { StepRunResult } from '../playbook/machine-types';
import { parseScriptOutput } from '../playbook/script-result';
import { Texts } from './texts';

/** Output kept in the transcript; Azure already cut it to its last 4,096 bytes. */
const MaxStoredOutput = 8_192;
const ExcerptLength = 600;

/** A step that ended in error, as the machine reads it (Azure's message may quote what it was sent). */
export function failure(code: string, message: string, action?: string): StepRunResult {
  return { outcome: 'failed', error: { code, message: redact(message), ...(action ? { action } : {}) } };
}

/**
 * Reads a script's output: its own ok/failed, or "unreadable" when the result line is not
 * there. What it returns is stored (the machine's snapshot, the transcript) and said in chat
 * (the error, the log path, facts filled into the step's result text), so its text fields are
 * redacted here, once, like the raw output in `keptOutput`.
 */
export function interpret(output: RunOutput, scriptId: string): StepRunResult {
  const parsed = parseScriptOutput(output.stdout, scriptId);
  if (!parsed.readable) {
    return {
      outcome: 'unreadable',
      error: { code: ErrorCodes.OutputUnreadable, message: redact(parsed.reason) },
      ...(parsed.log ? { log: redact(parsed.log) } : {}),
    };
  }
  const { result } = parsed;
  return {
    outcome: result.ok ? 'ok' : 'failed',
    data: redactData(result.data),
    log: redact(result.log),
    ...(result.error ? { error: { code: ErrorCodes.ScriptFailed, message: redact(result.error) } } : {}),
  };
}

/** Output kept in the transcript, secrets redacted first (Azure already cut it to 4,096 bytes). */
export function keptOutput(output: RunOutput): Record<string, unknown> {
  const stdout = redact(output.stdout.slice(-MaxStoredOutput));
  return {
    stdout,
    stderr: redact(output.stderr.slice(-MaxStoredOutput)),
    excerpt: stdout.slice(-ExcerptLength),
  };
}

/** A script Azure stopped at its time limit: said plainly, with what it printed until then. */
export function timedOutText(title: Localized, stopped: { seconds: number; partial: string }): Localized {
  return perLocale(
    (l) => Texts.stepTimedOut(title[l], Texts.duration(stopped.seconds)[l], stopped.partial)[l],
  );
}

/** What a step's end means, in each language; the step title is itself localized. */
export function resultText(
  title: Localized,
  result: StepRunResult,
  meaning: Localized | undefined,
): Localized {
  const why = result.error?.message ?? result.outcome;
  switch (result.outcome) {
    case 'ok':
      // "TermService now listens on 3389": the playbook says what a success means.
      return perLocale(
        (l) => Texts.stepOk(title[l])[l] + (meaning ? ` ${fillTemplate(meaning[l], result.data)}` : ''),
      );
    case 'unreadable':
      return perLocale(
        (l) => Texts.stepUnreadable(title[l], why, result.log ?? (l === 'it' ? 'sconosciuto' : 'unknown'))[l],
      );
    default:
      return perLocale((l) => Texts.stepFailed(title[l], why)[l]);
  }
}

/**
 * A step that threw, as the machine reads it: its code (Azure's, or AZURE_OPERATION_FAILED),
 * the action Azure refused (a 403), and for a script Azure stopped at its time limit what it
 * printed until then (kept in the transcript, said in the result).
 */
export function failureOf(err: unknown): {
  result: StepRunResult;
  drafts: Record<string, unknown>;
  timedOut?: { seconds: number; partial: string };
} {
  const action =
    isRdpFixError(err) && typeof err.details.action === 'string' ? err.details.action : undefined;
  const result = failure(
    isRdpFixError(err) ? err.code : ErrorCodes.AzureOperationFailed,
    messageOf(err),
    action,
  );
  if (!isRdpFixError(err) || err.code !== ErrorCodes.RunCommandTimedOut) return { result, drafts: {} };
  const partial = keptOutput(err.details.output as RunOutput);
  return {
    result,
    drafts: { ...partial, timedOut: true, timeoutSeconds: err.details.timeoutSeconds },
    timedOut: { seconds: Number(err.details.timeoutSeconds), partial: String(partial.excerpt) },
  };
}
