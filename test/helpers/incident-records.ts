import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { User } from '../../src/core/types';
import { initialIncident, type Transitioned, transitionIncident } from '../../src/engine/transition-incident';
import { compilePlaybook, type IncidentMachine, stepOfState } from '../../src/playbook/compile-playbook';
import type { IncidentEvent } from '../../src/playbook/machine-types';
import { needsApproval } from '../../src/playbook/outcomes';
import type { IncidentRecord } from '../../src/store/incident-store';
import { alice, bob, rdpPlaybook, testConversation } from './engine-harness';

/**
 * Incident records in a chosen state, built by driving the pure machine functions
 * (`initialIncident` / `transitionIncident`) with the events the engine would send: no engine,
 * no store, no clock. The records are what `CommandHandler` would have saved.
 */

/** The clock of these records: every decision and deadline is relative to it. */
export const T0 = new Date('2026-12-01T10:00:00.000Z');
export const TtlMs = 3_600_000;

let compiled: IncidentMachine | undefined;
export function rdpMachine(): IncidentMachine {
  compiled ??= compilePlaybook(rdpPlaybook());
  return compiled;
}

/** Real diagnose output (data of the script's result line), from test/fixtures/evidence. */
export function evidence(name: 'healthy' | 'port-w3svc' | 'all-three-domain' | 'nothing-listening-no-cert') {
  return JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'evidence', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;
}

export const decision = (by: User = bob) => ({ by, at: T0.toISOString() });

export const vmReady: IncidentEvent = { type: 'VM_STATUS', status: 'ready' };

export function approve(stepId: string, attempt = 1, by: User = bob): IncidentEvent {
  return { type: 'APPROVE', stepId, attempt, decision: decision(by), params: {} };
}

export function resultOk(stepId: string, data: unknown = {}, attempt = 1): IncidentEvent {
  return { type: 'STEP_RESULT', stepId, attempt, result: { outcome: 'ok', data } };
}

export interface Driven {
  record: IncidentRecord;
  /** The last transition, as the pure function returned it. */
  last: Transitioned;
  /** The events that led there, to go on from. */
  events: IncidentEvent[];
}

/** A record after `events`, starting from a new incident opened by `requester`. */
export function recordAfter(
  events: readonly IncidentEvent[],
  options: { id?: string; requester?: User; walkAll?: boolean } = {},
): Driven {
  const machine = rdpMachine();
  const id = options.id ?? 'inc-1';
  const requester = options.requester ?? alice;
  let run = initialIncident(machine, { incidentId: id, requester, walkAll: options.walkAll ?? false });
  for (const event of events) run = transitionIncident(machine, run.snapshot, event);
  return { record: recordOf(id, requester, run), last: run, events: [...events] };
}

/**
 * A record from `diagnose` on: VM ready, every step until `stepId` approved by bob (or
 * answered with its first answer) and reported ok, the diagnosis with `found` as evidence.
 */
export function recordAwaiting(
  stepId: string,
  found: Record<string, unknown> = evidence('all-three-domain'),
): Driven {
  const events: IncidentEvent[] = [vmReady];
  for (let i = 0; i < 40; i++) {
    const driven = recordAfter(events);
    const at = stepOfState((driven.record.snapshot as { value: unknown }).value);
    if (at?.phase !== 'awaiting') throw new Error(`no step waits after ${events.length} events`);
    if (at.stepId === stepId) return driven;
    const step = rdpPlaybook().stepById.get(at.stepId);
    if (!step) throw new Error(`unknown step ${at.stepId}`);
    const attempt = driven.last.context.current?.attempt ?? 1;
    if (needsApproval(step)) {
      events.push(
        approve(at.stepId, attempt),
        resultOk(at.stepId, at.stepId === 'diagnose' ? found : {}, attempt),
      );
    } else if ('answers' in step && step.answers[0]) {
      events.push({
        type: 'ANSWER',
        stepId: at.stepId,
        attempt,
        answer: step.answers[0].id,
        decision: decision(),
      });
    }
  }
  throw new Error(`never reached ${stepId}`);
}

/** The record CommandHandler would have saved for this transition (pending approval included). */
export function recordOf(id: string, requester: User, run: Transitioned): IncidentRecord {
  const current = run.context.current;
  return {
    id,
    playbookId: rdpPlaybook().id,
    playbookHash: rdpPlaybook().hash,
    vm: { subscriptionId: 'sub-1', resourceGroup: 'rg-test', name: 'sim-all-three' },
    requester,
    channel: { ...testConversation },
    locale: 'en',
    status: run.done ? 'closed' : 'open',
    outcome: run.context.outcome,
    state: run.state,
    causes: (run.context.firstCauses ?? run.context.causes).map((c) => c.id),
    snapshot: run.snapshot,
    pending:
      current && run.state.endsWith('.awaiting')
        ? {
            stepId: current.stepId,
            attempt: current.attempt,
            deadline: new Date(T0.getTime() + TtlMs).toISOString(),
          }
        : null,
    version: 1,
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  };
}
