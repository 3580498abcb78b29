import { ErrorCodes, RdpFixError } from '../core/errors';
import { shorten } from '../core/shorten';
import { readPath } from './facts';
import type { IncidentContext, StepParams } from './machine-types';
import type { ParamDef } from './schema';

/**
 * Where `{from: ...}` defaults (and a step's `when.if`) are read: the latest evidence, the first
 * (before any change), earlier steps' parameters and the step an undo was asked for.
 */
export interface ParamFacts {
  evidence: unknown;
  firstEvidence?: unknown;
  params: Record<string, StepParams | undefined>;
  undo?: { step: string };
  /** What earlier steps' results said (`results/<step>/…`). */
  results?: Record<string, unknown>;
}

/** What an undo restores when no one step was named: every change of the incident. */
export const UndoAll = 'all';

/** The facts of an incident, as `{from: ...}` defaults and `when.if` read them. */
export function factsOf(context: IncidentContext): ParamFacts {
  return {
    evidence: context.evidence,
    firstEvidence: context.firstEvidence,
    params: Object.fromEntries(Object.entries(context.steps).map(([id, s]) => [id, s.params])),
    undo: { step: context.undoStep ?? UndoAll },
    results: Object.fromEntries(Object.entries(context.steps).map(([id, s]) => [id, s.data])),
  };
}

/** The default of each parameter, for the step card. Defaults that cannot be read are left out. */
export function defaultParams(defs: Record<string, ParamDef>, facts: ParamFacts): StepParams {
  const out: StepParams = {};
  for (const [name, def] of Object.entries(defs)) {
    const value = typeof def.default === 'object' ? readPath(facts, def.default.from) : def.default;
    if (value === undefined || value === null) continue;
    const checked = checkParam(name, def, value);
    if (checked.ok) out[name] = checked.value;
  }
  return out;
}

/**
 * Validates the parameters a person approves a step with: defaults filled in, overrides
 * type-checked and range-checked, unknown names refused. Values only ever reach a script as
 * Run Command parameters, never spliced into its text.
 */
export function resolveParams(
  defs: Record<string, ParamDef>,
  overrides: Record<string, unknown> | undefined,
  facts: ParamFacts,
): StepParams {
  const problems: string[] = [];
  for (const name of Object.keys(overrides ?? {})) {
    if (!(name in defs)) problems.push(`unknown parameter "${shorten(name)}"`);
  }
  const values = defaultParams(defs, facts);
  for (const [name, def] of Object.entries(defs)) {
    const raw = overrides?.[name];
    if (raw !== undefined) {
      const checked = checkParam(name, def, raw);
      if (checked.ok) values[name] = checked.value;
      else problems.push(checked.problem);
    }
    if (values[name] === undefined && def.required) problems.push(`parameter ${name} is required`);
  }
  if (problems.length > 0) {
    throw new RdpFixError(ErrorCodes.InvalidParameter, problems.join('; '), { problems });
  }
  return values;
}

type Checked = { ok: true; value: string | number | boolean } | { ok: false; problem: string };

function checkParam(name: string, def: ParamDef, raw: unknown): Checked {
  const shown = shorten(typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw)));
  switch (def.type) {
    case 'integer': {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^-?\d{1,10}$/.test(raw.trim())
            ? Number(raw)
            : NaN;
      if (!Number.isInteger(n) || n < def.min || n > def.max) {
        return {
          ok: false,
          problem: `${name} must be a whole number from ${def.min} to ${def.max}, not "${shown}"`,
        };
      }
      return { ok: true, value: n };
    }
    case 'string': {
      if (typeof raw !== 'string' || raw.length > def.maxLength || !new RegExp(def.pattern).test(raw)) {
        return {
          ok: false,
          problem: `${name} must match ${def.pattern} (at most ${def.maxLength} characters), not "${shown}"`,
        };
      }
      return { ok: true, value: raw };
    }
    case 'enum': {
      if (typeof raw !== 'string' || !def.values.includes(raw)) {
        return { ok: false, problem: `${name} must be one of ${def.values.join(' | ')}, not "${shown}"` };
      }
      return { ok: true, value: raw };
    }
    case 'boolean': {
      if (raw === true || raw === 'true') return { ok: true, value: true };
      if (raw === false || raw === 'false') return { ok: true, value: false };
      return { ok: false, problem: `${name} must be true or false, not "${shown}"` };
    }
  }
}
