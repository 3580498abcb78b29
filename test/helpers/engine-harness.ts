import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VmOperations } from '../../src/azure/vm-operations';
import { type ApprovalPolicy, type Origin, onEveryPlatform } from '../../src/core/approval-policy';
import type { User } from '../../src/core/types';
import {
  type CommandResult,
  contextOf,
  type EngineDeps,
  IncidentEngine,
} from '../../src/engine/incident-engine';
import type { Delivery, OutMessage } from '../../src/engine/messages';
import { stepOfState } from '../../src/playbook/compile-playbook';
import { loadPlaybook, type Playbook } from '../../src/playbook/load-playbook';
import type { IncidentStore } from '../../src/store/incident-store';
import { MemoryIncidentStore } from '../../src/store/memory-store';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

/**
 * The repository's playbook, found from the repository root: this file runs from
 * test/helpers under Jest and from dist-test/test/helpers in the benchmarks, which use
 * `card()` too (a fixed `../..` found no playbook there, and every benchmark decision failed).
 */
export const playbookDir = join(repositoryRoot(__dirname), 'dialogs', 'rdp-internal-error');

function repositoryRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
let cached: Playbook | undefined;
export function rdpPlaybook(): Playbook {
  cached ??= loadPlaybook(playbookDir);
  return cached;
}

/** The steps that reach the VM or Azure for "all three causes", in the article's order. */
export const AllThreeSteps = [
  'diagnose',
  'check-rdp-security',
  'snapshot-os-disk',
  'renew-rdp-certificate',
  'reset-machinekeys-acl',
  'enable-tls',
  'restart-vm',
  'verify',
];

export const alice: User = { id: 'U_ALICE', name: 'alice' };
export const bob: User = { id: 'U_BOB', name: 'bob' };
export const mallory: User = { id: 'U_MALLORY', name: 'mallory' };

export const twoPersonPolicy: ApprovalPolicy = policyWith([bob.id], false);

/** A policy with the same approvers on every platform (the engine tests' incidents live in the terminal). */
export function policyWith(
  approvers: readonly string[],
  allowSelfApproval: boolean | undefined,
  extra: Partial<ApprovalPolicy> = {},
): ApprovalPolicy {
  return {
    approvers: onEveryPlatform(approvers),
    allowSelfApproval,
    // As in local mode: with no list, the requester alone (unless self-approval is off).
    selfApprovalWhenUnlisted: allowSelfApproval !== false,
    ttlMs: 3_600_000,
    ...extra,
  };
}

/** The conversation the engine tests' incidents live in, and their decisions come from. */
export const testConversation: Origin = { platform: 'cli', channel: 'test' };

/**
 * What a card click carries besides the step attempt, as a channel decodes it: where it was
 * pressed (the incident's own conversation) and the hash of the script the card showed.
 */
export function card(stepId: string, from: Origin = testConversation) {
  return { from, ...scriptHashOf(stepId) };
}

/** `{scriptSha256}` of a runCommand step's script, as its card carries it; `{}` for other steps. */
export function scriptHashOf(stepId: string): { scriptSha256?: string } {
  const step = rdpPlaybook().stepById.get(stepId);
  const script =
    step && step.kind === 'runCommand' && 'script' in step && step.script ? step.script : undefined;
  const scriptSha256 = script ? rdpPlaybook().scripts[script]?.sha256 : undefined;
  return scriptSha256 ? { scriptSha256 } : {};
}

export interface Harness {
  engine: IncidentEngine;
  store: IncidentStore;
  /** The simulated VMs behind the engine (also when a wrapper is passed as `vm`, pass the sim inside it). */
  vm: SimulatedVmOperations;
  deliveries: Delivery[];
  messages(kind?: OutMessage['kind']): OutMessage[];
}

/** Engines made by tests; each test's are closed after it (test/helpers/close-engines.ts). */
export const openEngines = new Set<IncidentEngine>();

export function makeHarness(
  options: {
    store?: IncidentStore;
    /** The simulated VMs; shared between engines to play "the same Azure" across a restart. */
    sim?: SimulatedVmOperations;
    /** What the engine calls, when it is not the simulator itself (a wrapper around it). */
    vm?: VmOperations;
    policy?: ApprovalPolicy;
    now?: () => Date;
    schedule?: EngineDeps['schedule'];
    /** The offline repair switched on (RDPFIX_RESCUE): its operations. */
    rescue?: EngineDeps['rescue'];
  } = {},
): Harness {
  const store = options.store ?? new MemoryIncidentStore();
  const sim = options.sim ?? new SimulatedVmOperations();
  const vm = options.vm ?? sim;
  const deliveries: Delivery[] = [];
  const engine = new IncidentEngine({
    store,
    playbooks: [rdpPlaybook()],
    vm,
    policy: options.policy ?? twoPersonPolicy,
    sink: (d) => {
      deliveries.push(d);
    },
    progressIntervalMs: 0,
    ...(options.now ? { now: options.now } : {}),
    ...(options.rescue ? { rescue: options.rescue } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    onError: (err, where) => {
      throw new Error(`engine error in ${where}: ${String(err)}`);
    },
  });
  openEngines.add(engine);
  return {
    engine,
    store,
    vm: sim,
    deliveries,
    messages: (kind) => deliveries.map((d) => d.message).filter((m) => !kind || m.kind === kind),
  };
}

export async function startIncident(
  h: Harness,
  vmName: string,
  requester: User = alice,
  where: { subscriptionId: string; resourceGroup: string } = {
    subscriptionId: 'sub-1',
    resourceGroup: 'rg-test',
  },
): Promise<string> {
  const result = await h.engine.handle({
    type: 'start',
    vm: { ...where, name: vmName },
    requester,
    channel: { ...testConversation },
    locale: 'en',
  });
  if (!result.ok) throw new Error(`start failed: ${result.message.en}`);
  await h.engine.idle();
  return result.incidentId;
}

/** The step waiting for a person, read from the store. */
/** A person's approval of a step on its card: attempt 1, bob, the test conversation unless given. */
export function approveStep(
  h: Pick<Harness, 'engine'>,
  incidentId: string,
  stepId: string,
  options: { attempt?: number; user?: User; from?: Origin; params?: Record<string, unknown> } = {},
): Promise<CommandResult> {
  return h.engine.handle({
    type: 'approve',
    incidentId,
    stepId,
    attempt: options.attempt ?? 1,
    user: options.user ?? bob,
    ...card(stepId, options.from),
    ...(options.params ? { params: options.params } : {}),
  });
}

export async function currentStep(h: Harness, incidentId: string) {
  const record = await h.store.get(incidentId);
  if (!record) throw new Error('no incident');
  const context = contextOf(record.snapshot);
  const at = stepOfState((record.snapshot as { value: unknown }).value);
  return {
    record,
    context,
    stepId: at?.phase === 'awaiting' ? at.stepId : undefined,
    attempt: context.current?.attempt ?? 0,
  };
}

/**
 * Drives an incident to its end as people would: approve every VM/Azure step as `approver`,
 * answer questions with `answers[stepId]` (or their first answer).
 */
export async function driveToEnd(
  h: Harness,
  incidentId: string,
  approver: User = bob,
  answers: Record<string, string> = {},
  maxSteps = 60,
): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const { record, stepId, attempt } = await currentStep(h, incidentId);
    if (record.status === 'closed' || !stepId) return results;
    const step = rdpPlaybook().stepById.get(stepId)!;
    const result =
      step.kind === 'question' || step.kind === 'manual'
        ? await h.engine.handle({
            type: 'answer',
            incidentId,
            stepId,
            attempt,
            answer: answers[stepId] ?? step.answers[0]!.id,
            user: approver,
            ...card(stepId),
          })
        : await approveStep(h, incidentId, stepId, { attempt, user: approver });
    results.push(result);
    await h.engine.idle();
  }
  throw new Error('incident did not end');
}
