import { z } from 'zod';
import { Risks } from '../core/types';

/**
 * The playbook file format (dialogs/<name>/playbook.yaml). Validated once, at load time;
 * inside the engine a `Playbook` is trusted.
 */

/** Features a step may depend on (`when.feature`), switched on by configuration. */
export const Features = ['rescue'] as const;
export type Feature = (typeof Features)[number];

const localized = z.object({ en: z.string().min(1), it: z.string().min(1) }).strict();

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be kebab-case: lower-case letters, digits and dashes');

/**
 * A parameter default read from the incident's facts by a `/`-separated path:
 * `evidence/listener/services/0` (latest evidence), `firstEvidence/rdpPort` (the first
 * diagnosis, before any change), `params/<step-id>/<Param>` (a parameter an earlier step ran with)
 * `undo/step` (the one step `undo <incident> <step>` asked to undo, `all` otherwise) or
 * `results/<step-id>/<field>` (what an earlier step's result said, e.g. the drive letter the rescue
 * VM gave the attached disk). Paths use `/` because evidence keys hold dots ("TLS 1.2").
 */
const fromFacts = z
  .object({ from: z.string().regex(/^(evidence|firstEvidence|params|undo|results)\/[^/]+(\/[^/]+)*$/) })
  .strict();

const paramBase = {
  label: localized,
  required: z.boolean().default(true),
};

export const paramSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('integer'),
      min: z.number().int(),
      max: z.number().int(),
      default: z.union([z.number().int(), fromFacts]).optional(),
      ...paramBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('string'),
      pattern: z.string().min(1),
      maxLength: z.number().int().min(1).max(1024),
      default: z.union([z.string(), fromFacts]).optional(),
      ...paramBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('enum'),
      values: z.array(z.string().min(1)).min(1),
      default: z.union([z.string(), fromFacts]).optional(),
      ...paramBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('boolean'),
      default: z.union([z.boolean(), fromFacts]).optional(),
      ...paramBase,
    })
    .strict(),
]);

const conditionOps = [
  'eq',
  'ne',
  'in',
  'contains',
  'notContains',
  'isNull',
  'notNull',
  'isTrue',
  'isFalse',
  'empty',
  'notEmpty',
  'gt',
] as const;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { path: string; op: (typeof conditionOps)[number]; value?: unknown };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(conditionSchema).min(1) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1) }).strict(),
    z.object({ not: conditionSchema }).strict(),
    z.object({ path: z.string().min(1), op: z.enum(conditionOps), value: z.unknown().optional() }).strict(),
  ]),
);

export const causeSchema = z
  .object({
    id,
    section: z.string().min(1),
    title: localized,
    when: conditionSchema,
    reason: localized,
  })
  .strict();

const answerSchema = z
  .object({
    id,
    label: localized,
    /** Choosing this answer walks every later step, whether or not the evidence asks for it. */
    walkAll: z.boolean().optional(),
    /** Asks "are you sure?" before the answer counts (taking the offline path, saying offline work is done). */
    confirm: z.boolean().optional(),
  })
  .strict();

/**
 * When a step applies: any listed cause is present, or any listed step finished `ok`; never
 * while `unless` holds on the latest evidence (e.g. stopping a port owner that cannot be stopped);
 * only while `if` holds on the incident's facts, read as parameter defaults are (`params/…`,
 * `evidence/…`: the NSG rule goes back only when the undo put the port back).
 */
const whenSchema = z
  .object({
    causes: z.array(id).optional(),
    ran: z.array(id).optional(),
    unless: conditionSchema.optional(),
    /** Only when this feature is switched on (`rescue`: RDPFIX_RESCUE); checked before anything else, walk-all included. */
    feature: z.enum(Features).optional(),
    if: conditionSchema.optional(),
  })
  .strict();

/** A step's parameters by name (PascalCase, as the script's param() block declares them). */
const paramsField = z
  .record(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be PascalCase'), paramSchema)
  .default({});

const stepBase = {
  id,
  /** What a successful result means, filled from the result's data (`{path}`), e.g. "TermService now listens on {rdpPort}". */
  result: localized.optional(),
  section: z.string().min(1),
  title: localized,
  explain: localized,
  warning: localized.optional(),
  when: whenSchema.optional(),
  next: z.record(z.string(), z.string()),
};

/**
 * How long a step's script may run before Azure stops it, when the playbook does not say
 * (managed Run Command `timeoutInSeconds`). Azure's own ceiling for the action Run Command is
 * 90 minutes; a hung script would hold the VM that long.
 */
export const DefaultStepTimeoutSeconds = 600;

/** The offline repair on a rescue VM (src/azure/rescue/, shared/DESIGN.md "Offline repair contract"). */
export const RescueAzureActions = [
  'createRepairDisk',
  'createRescueVm',
  'attachRepairDisk',
  'detachRepairDisk',
  'swapOsDisk',
  'swapBackOsDisk',
  'deleteRescueResources',
] as const;
export type RescueAzureAction = (typeof RescueAzureActions)[number];

export const AzureActions = [
  'snapshotDisk',
  'restartVm',
  'updateNsgRule',
  'startVm',
  'checkRdpSecurity',
  ...RescueAzureActions,
] as const;
export type AzureAction = (typeof AzureActions)[number];

export const stepSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('runCommand'),
      script: z.string().regex(/^[a-z0-9-]+\.ps1$/, 'must name a .ps1 file in scripts/'),
      risk: z.enum(Risks),
      /** The script returns evidence: outcomes are `clear` / `causes` instead of `ok`. */
      evidence: z.boolean().default(false),
      /** Seconds the script may run; Azure stops it then (managed Run Command `timeoutInSeconds`). */
      timeoutSeconds: z.number().int().min(30).max(5400).default(DefaultStepTimeoutSeconds),
      /** Where the script runs: the incident's VM, or the offline repair's rescue VM (with the copy attached). */
      on: z.enum(['vm', 'rescue']).default('vm'),
      params: paramsField,
      confirm: z.boolean().optional(),
      /**
       * A step that puts the VM right again after this one (enable-tls pauses Group Policy;
       * restore-group-policy switches it back on). Once this step is approved the undo is owed:
       * an incident heading for its end (resolved, unresolved, aborted, expired) offers the undo
       * step first, unless a `settles` step or the undo step itself has been through.
       */
      undo: id.optional(),
      /**
       * Owed undos this step discharges, by the owing step's id, with the condition its result
       * data must meet (verify.ps1 switches Group Policy back on and says so).
       */
      settles: z.record(id, conditionSchema).optional(),
      ...stepBase,
    })
    .strict(),
  z
    .object({
      kind: z.literal('azure'),
      action: z.enum(AzureActions),
      risk: z.enum(Risks),
      params: paramsField,
      confirm: z.boolean().optional(),
      /** As for runCommand steps: the step that takes away what this one created (the rescue clean-up). */
      undo: id.optional(),
      ...stepBase,
    })
    .strict(),
  z
    .object({
      kind: z.literal('question'),
      answers: z.array(answerSchema).min(1),
      ...stepBase,
    })
    .strict(),
  z
    .object({
      kind: z.literal('manual'),
      /** A script shown to the operator to run elsewhere (e.g. on a recovery VM). */
      script: z
        .string()
        .regex(/^[a-z0-9-]+\.ps1$/)
        .optional(),
      params: paramsField,
      answers: z.array(answerSchema).min(1),
      ...stepBase,
    })
    .strict(),
]);

export const playbookSchema = z
  .object({
    id,
    version: z.number().int().min(1),
    title: localized,
    source: z.string().min(1),
    entry: id,
    /** Where to go when the VM agent is not Ready (Run Command cannot work). */
    onAgentNotReady: id,
    /** Where `/rdp-fix <vm> --offline` goes, whatever the VM's state; `onAgentNotReady` when absent. */
    onOffline: id.optional(),
    /** Where to go when the VM is stopped or deallocated (a step that starts it); else the incident ends. */
    onVmStopped: id.optional(),
    /**
     * The step `undo <incident> [step]` in chat (or a result's Undo button) leads to, from any step
     * waiting for a person, once a change was made. Its `Step` enum parameter lists the steps it
     * can undo one by one, and `all` (load-playbook.ts checks both).
     */
    onUndo: id.optional(),
    causes: z.array(causeSchema),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type PlaybookFile = z.infer<typeof playbookSchema>;
export type StepDef = z.infer<typeof stepSchema>;
export type ParamDef = z.infer<typeof paramSchema>;
export type CauseDef = z.infer<typeof causeSchema>;
export type StepKind = StepDef['kind'];

/** Targets that end an incident; step ids may not use them. */
export const Terminals = ['resolved', 'unresolved'] as const;
export type Terminal = (typeof Terminals)[number];

/** The target of an undo step's outcomes: the end the incident was heading for when it was offered. */
export const ResumeEnd = 'end';

/** The step that undoes this one (`undo`: a runCommand step's, or an azure step's such as the rescue clean-up). */
export function undoStepOf(step: StepDef | undefined): string | undefined {
  return step?.kind === 'runCommand' || step?.kind === 'azure' ? step.undo : undefined;
}
