import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { PlaybookInvalid, type PlaybookProblem } from '../core/errors';
import { CausePrefix, outcomesOf } from './outcomes';
import { type PlaybookFile, playbookSchema, ResumeEnd, type StepDef, Terminals, undoStepOf } from './schema';
import { EngineParams, readScriptHeader, type ScriptHeader } from './script-header';
import { readScript, ScriptIncludeMissing } from './script-includes';
import { UndoAll } from './step-params';

/** A script of a playbook, with the hash recorded in the transcript when it runs. */
export interface PlaybookScript {
  name: string;
  text: string;
  sha256: string;
  header: ScriptHeader;
}

/** A validated playbook: trusted by everything downstream. */
export interface Playbook extends PlaybookFile {
  dir: string;
  scripts: Record<string, PlaybookScript>;
  /** Hash of the YAML and every script: stored with each incident to detect a changed playbook. */
  hash: string;
  stepById: ReadonlyMap<string, StepDef>;
  /** Steps the `onUndo` step can undo one by one (its `Step` parameter's values but `all`). */
  undoable: ReadonlySet<string>;
}

const PlaybookFileName = 'playbook.yaml';

/** Loads every `dialogs/<name>/playbook.yaml` below a folder. */
export function loadPlaybooks(dialogsDir: string): Playbook[] {
  return readdirSync(dialogsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dialogsDir, d.name, PlaybookFileName)))
    .map((d) => loadPlaybook(join(dialogsDir, d.name)));
}

/**
 * Loads and validates one playbook folder. Every problem is reported at once, each as
 * `file: path: problem`, in a `PlaybookInvalid` error.
 */
export function loadPlaybook(dir: string): Playbook {
  const file = join(dir, PlaybookFileName);
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) throw new PlaybookInvalid([{ file: shown, path: '', problem: 'file not found' }]);
  const source = readFileSync(file, 'utf8');
  const doc = parseDocument(source, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PlaybookInvalid(
      doc.errors.map((e) => ({ file: shown, path: '', problem: `YAML: ${e.message}` })),
    );
  }
  const parsed = playbookSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) throw new PlaybookInvalid(zodProblems(shown, parsed.error));
  const playbook = parsed.data;

  const problems: PlaybookProblem[] = [];
  const scripts = loadScripts(dir, playbook, shown, problems);
  checkGraph(playbook, shown, problems);
  const undoable = undoableSteps(playbook);
  checkUndoable(playbook, scripts, undoable, shown, problems);
  if (problems.length > 0) throw new PlaybookInvalid(problems);

  const hash = createHash('sha256');
  hash.update(source);
  for (const name of Object.keys(scripts).sort()) hash.update(`\0${name}\0${scripts[name]?.text}`);
  return {
    ...playbook,
    dir,
    scripts,
    hash: hash.digest('hex'),
    stepById: new Map(playbook.steps.map((s) => [s.id, s])),
    undoable,
  };
}

/** The name of the undo step's parameter that picks one step to undo, or `all`. */
export const UndoStepParam = 'Step';

function undoableSteps(playbook: PlaybookFile): Set<string> {
  const undo = playbook.steps.find((s) => s.id === playbook.onUndo);
  const param = undo && 'params' in undo ? undo.params[UndoStepParam] : undefined;
  return new Set(param?.type === 'enum' ? param.values.filter((v) => v !== UndoAll) : []);
}

/**
 * A step the undo can take back alone must save its prior state (its script takes the engine's
 * `IncidentId`, lib/undo-journal.ps1), and every step that saves one must be undoable alone:
 * otherwise its result would offer an Undo that restores nothing, or none at all.
 */
function checkUndoable(
  playbook: PlaybookFile,
  scripts: Record<string, PlaybookScript>,
  undoable: ReadonlySet<string>,
  file: string,
  problems: PlaybookProblem[],
): void {
  const undo = playbook.steps.find((s) => s.id === playbook.onUndo);
  if (!undo) return;
  const param = 'params' in undo ? undo.params[UndoStepParam] : undefined;
  if (param?.type !== 'enum' || !param.values.includes(UndoAll)) {
    problems.push({
      file,
      path: `onUndo`,
      problem: `the undo step "${undo.id}" needs an enum parameter ${UndoStepParam} with "${UndoAll}" and the steps it can undo`,
    });
    return;
  }
  playbook.steps.forEach((step, index) => {
    const journals =
      step.kind === 'runCommand' &&
      step.id !== undo.id &&
      Boolean(scripts[step.script]?.header.params.includes('IncidentId'));
    if (journals !== undoable.has(step.id)) {
      problems.push({
        file,
        path: `steps.${index}`,
        problem: journals
          ? `"${step.id}" saves its prior state but is not a value of ${undo.id}'s ${UndoStepParam}`
          : `"${step.id}" is a value of ${undo.id}'s ${UndoStepParam} but saves no prior state (no IncidentId parameter)`,
      });
    }
  });
  for (const value of undoable) {
    if (!playbook.steps.some((s) => s.id === value))
      problems.push({ file, path: `onUndo`, problem: `${UndoStepParam} names unknown step "${value}"` });
  }
}

function zodProblems(file: string, error: z.ZodError): PlaybookProblem[] {
  return error.issues.map((issue) => ({ file, path: issue.path.join('.'), problem: issue.message }));
}

function loadScripts(
  dir: string,
  playbook: PlaybookFile,
  file: string,
  problems: PlaybookProblem[],
): Record<string, PlaybookScript> {
  const scripts: Record<string, PlaybookScript> = {};
  playbook.steps.forEach((step, index) => {
    if (step.kind !== 'runCommand' && step.kind !== 'manual') return;
    if (!step.script) return;
    const at = `steps.${index}.script`;
    const path = join(dir, 'scripts', step.script);
    if (!existsSync(path)) {
      problems.push({ file, path: at, problem: `script scripts/${step.script} not found` });
      return;
    }
    let text: string;
    try {
      text = readScript(join(dir, 'scripts'), step.script);
    } catch (err) {
      if (!(err instanceof ScriptIncludeMissing)) throw err;
      problems.push({ file, path: at, problem: `scripts/${step.script}: ${err.message}` });
      return;
    }
    const header = readScriptHeader(text);
    const expectedId = basename(step.script, '.ps1');
    if (header.scriptId !== expectedId) {
      problems.push({
        file,
        path: at,
        problem: `scripts/${step.script} must start with "# rdp-fix-step: ${expectedId}"`,
      });
    }
    if (step.kind === 'runCommand' && !header.printsResult) {
      problems.push({
        file,
        path: at,
        problem: `scripts/${step.script} never prints the RDPFIX-RESULT line`,
      });
    }
    const declared = Object.keys(step.params).sort();
    const inScript = header.params.filter((p) => !(EngineParams as readonly string[]).includes(p)).sort();
    if (declared.join(',') !== inScript.join(',')) {
      problems.push({
        file,
        path: `steps.${index}.params`,
        problem: `parameters [${declared.join(', ')}] do not match the param() block of scripts/${step.script} [${inScript.join(', ')}]`,
      });
    }
    scripts[step.script] = {
      name: step.script,
      text,
      sha256: createHash('sha256').update(text).digest('hex'),
      header,
    };
  });
  return scripts;
}

function checkGraph(playbook: PlaybookFile, file: string, problems: PlaybookProblem[]): void {
  const stepIds = new Set<string>();
  const causeIds = new Set(playbook.causes.map((c) => c.id));
  const reserved = new Set<string>([...Terminals, ResumeEnd, 'preflight', 'aborted', 'expired', 'failed']);
  const undoSteps = new Set(playbook.steps.flatMap((s) => undoStepOf(s) ?? []));
  // An undo step, or a step an undo step leads to (the rescue clean-up's last question), may
  // resume the end the undo interrupted.
  const mayResumeEnd = new Set([
    ...undoSteps,
    ...playbook.steps.filter((s) => undoSteps.has(s.id)).flatMap((s) => Object.values(s.next)),
  ]);
  const problem = (path: string, text: string) => problems.push({ file, path, problem: text });

  playbook.causes.forEach((c, i) => {
    if (playbook.causes.findIndex((o) => o.id === c.id) !== i)
      problem(`causes.${i}.id`, `duplicate cause id "${c.id}"`);
  });
  playbook.steps.forEach((s, i) => {
    if (stepIds.has(s.id)) problem(`steps.${i}.id`, `duplicate step id "${s.id}"`);
    if (reserved.has(s.id) || /^(ending|resume)-/.test(s.id))
      problem(`steps.${i}.id`, `"${s.id}" is reserved`);
    stepIds.add(s.id);
  });
  const isTarget = (t: string) => stepIds.has(t) || (Terminals as readonly string[]).includes(t);
  for (const [key, target] of [
    ['entry', playbook.entry],
    ['onAgentNotReady', playbook.onAgentNotReady],
    ['onOffline', playbook.onOffline],
    ['onVmStopped', playbook.onVmStopped],
    ['onUndo', playbook.onUndo],
  ] as const) {
    if (target !== undefined && !stepIds.has(target)) problem(key, `unknown step "${target}"`);
  }

  const paramsOf = new Map(playbook.steps.map((s) => [s.id, 'params' in s ? s.params : {}]));
  playbook.steps.forEach((step, i) => {
    const at = `steps.${i}`;
    const outcomes = outcomesOf(step);
    for (const [key, target] of Object.entries(step.next)) {
      const causeKey = key.startsWith(CausePrefix) ? key.slice(CausePrefix.length) : undefined;
      if (causeKey !== undefined) {
        if (!(step.kind === 'runCommand' && step.evidence))
          problem(`${at}.next.${key}`, 'only evidence steps route on a cause');
        else if (!causeIds.has(causeKey)) problem(`${at}.next.${key}`, `unknown cause "${causeKey}"`);
      } else if (!outcomes.includes(key)) {
        problem(
          `${at}.next.${key}`,
          `unknown outcome "${key}" (a ${step.kind} step has: ${outcomes.join(', ')})`,
        );
      }
      if (target === ResumeEnd) {
        if (!mayResumeEnd.has(step.id))
          problem(
            `${at}.next.${key}`,
            `only an undo step (or a step it leads to) may go to "${ResumeEnd}" (the end it interrupted)`,
          );
      } else if (!isTarget(target)) problem(`${at}.next.${key}`, `unknown transition target "${target}"`);
    }
    for (const outcome of outcomes) {
      if (!(outcome in step.next)) problem(`${at}.next`, `no transition for outcome "${outcome}"`);
    }
    step.when?.causes?.forEach((c, j) => {
      if (!causeIds.has(c)) problem(`${at}.when.causes.${j}`, `unknown cause "${c}"`);
    });
    step.when?.ran?.forEach((s, j) => {
      if (!stepIds.has(s)) problem(`${at}.when.ran.${j}`, `unknown step "${s}"`);
    });
    const undo = undoStepOf(step);
    if (undo && !stepIds.has(undo)) problem(`${at}.undo`, `unknown step "${undo}"`);
    if (step.kind === 'runCommand') {
      for (const owing of Object.keys(step.settles ?? {})) {
        const owes = playbook.steps.find((s) => s.id === owing);
        if (!undoStepOf(owes)) problem(`${at}.settles.${owing}`, `"${owing}" is no step with an undo`);
      }
    }
    if ('params' in step) checkParams(step, at, paramsOf, problem);
    if ('answers' in step) {
      const ids = step.answers.map((a) => a.id);
      if (new Set(ids).size !== ids.length) problem(`${at}.answers`, 'duplicate answer id');
    }
  });
  checkReachable(playbook, problem);
}

function checkParams(
  step: Extract<StepDef, { params: unknown }>,
  at: string,
  paramsOf: Map<string, Record<string, unknown>>,
  problem: (path: string, text: string) => void,
): void {
  for (const [name, def] of Object.entries(step.params)) {
    const where = `${at}.params.${name}`;
    const d = def.default;
    if (d !== undefined && typeof d === 'object') {
      const [root, stepId, param] = d.from.split('/');
      if (root === 'params' && !(stepId && param && param in (paramsOf.get(stepId) ?? {}))) {
        problem(`${where}.default`, `"${d.from}" names no parameter of another step`);
      }
      if (root === 'results' && !(stepId && paramsOf.has(stepId))) {
        problem(`${where}.default`, `"${d.from}" names no step`);
      }
      continue;
    }
    if (d === undefined) continue;
    if (def.type === 'integer' && (typeof d !== 'number' || d < def.min || d > def.max)) {
      problem(`${where}.default`, `default ${d} is outside ${def.min}..${def.max}`);
    }
    if (def.type === 'enum' && !def.values.includes(String(d))) {
      problem(`${where}.default`, `default "${d}" is not one of ${def.values.join(', ')}`);
    }
    if (def.type === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(def.pattern);
      } catch {
        // An invalid pattern is reported once, below; the default cannot be checked then.
      }
      if (!re) problem(`${where}.pattern`, `invalid regular expression "${def.pattern}"`);
      else if (!re.test(String(d)))
        problem(`${where}.default`, `default "${d}" does not match ${def.pattern}`);
    }
  }
}

function checkReachable(playbook: PlaybookFile, problem: (path: string, text: string) => void): void {
  const byId = new Map(playbook.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  // Undo steps are reached from any end (or an abort) after the step that owes them.
  const undos = playbook.steps.flatMap((s) => undoStepOf(s) ?? []);
  const queue = [
    playbook.entry,
    playbook.onAgentNotReady,
    ...(playbook.onOffline ? [playbook.onOffline] : []),
    ...(playbook.onVmStopped ? [playbook.onVmStopped] : []),
    ...(playbook.onUndo ? [playbook.onUndo] : []),
    ...undos,
  ];
  while (queue.length > 0) {
    const id = queue.pop()!;
    const step = byId.get(id);
    if (!step || seen.has(id)) continue;
    seen.add(id);
    queue.push(...Object.values(step.next));
  }
  playbook.steps.forEach((s, i) => {
    if (!seen.has(s.id)) problem(`steps.${i}.id`, `step "${s.id}" cannot be reached from the entry`);
  });
}
