import fc from 'fast-check';
import { Client } from 'pg';
import { verifyChain } from '../../src/core/transcript';
import type { User } from '../../src/core/types';
import { type Command, IncidentEngine } from '../../src/engine/incident-engine';
import type { Delivery, OutMessage } from '../../src/engine/messages';
import { PostgresIncidentStore } from '../../src/store/postgres-store';
import {
  alice,
  bob,
  currentStep,
  type Harness,
  mallory,
  policyWith,
  rdpPlaybook,
  scriptHashOf,
} from '../helpers/engine-harness';
import { until } from '../helpers/until';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

/** The conversation the fuzzed incidents live in, and their decisions come from. */
const Fuzz = { platform: 'cli', channel: 'fuzz' } as const;
/**
 * Two replicas (two engines, two connection pools) on one PostgreSQL schema and one set of
 * simulated VMs, under random interleavings of people's commands (sent to either replica,
 * sometimes to both at once, sometimes not awaited), replica crashes (the engine stops
 * mid-work: timers, polls and deliveries abandoned, leases left to lapse) and restarts
 * (under the same name, or a new one). Afterwards every incident is driven to its end, and:
 * every incident is closed, every transcript chain verifies, no change was sent to a VM
 * twice for one step attempt, each one follows a recorded approval, and each incident's
 * messages reached the chat exactly once, in the order of its transcript. The chat here
 * does what the Slack channel does for a message flagged maybeSent: it finds it in the
 * thread and does not post it again; a message sent again without the flag fails the test.
 * Teams has no such look-up (README, "Several replicas"): there a flagged re-send would show
 * twice, which this test does not model.
 */
jest.setTimeout(180_000);

const pgUrl = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const carol: User = { id: 'U_CAROL', name: 'carol' };
const people = [alice, bob, carol, mallory];
const policy = policyWith([bob.id, carol.id], false, { ttlMs: 3_600_000 });
const vms = ['sim-all-three-x1', 'sim-port-stoppable-x2', 'sim-cert-expired-x3'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Action =
  | {
      kind: 'decide';
      replica: number;
      incident: number;
      who: number;
      verb: 'approve' | 'skip' | 'answer';
      wait: boolean;
    }
  | { kind: 'both'; incident: number; who: number }
  | { kind: 'crash' | 'restart'; replica: number; sameName: boolean }
  | { kind: 'pause'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('decide' as const),
      replica: fc.nat(1),
      incident: fc.nat(vms.length - 1),
      who: fc.nat(people.length - 1),
      verb: fc.constantFrom('approve' as const, 'approve' as const, 'skip' as const, 'answer' as const),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('both' as const),
      incident: fc.nat(vms.length - 1),
      who: fc.nat(people.length - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('crash' as const, 'restart' as const),
      replica: fc.nat(1),
      sameName: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 80 }) }),
  },
);

interface Replica {
  name: string;
  engine: IncidentEngine;
  store: PostgresIncidentStore;
  alive: boolean;
}

let run = 0;

async function sql(text: string): Promise<unknown[]> {
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const interleavings = fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
  const schema = `rdpfix_fuzz_${process.pid}_${++run}`;
  const sim = new SimulatedVmOperations({
    delay: async () => {
      await sleep(3);
    },
  });
  const deliveries: Delivery[] = [];
  const reached = new Set<number>();
  const unflagged: number[] = [];
  const errors: string[] = [];
  const everyone: Replica[] = [];
  const generation = [0, 0];
  const replica = async (i: number, sameName: boolean): Promise<Replica> => {
    if (!sameName) generation[i]! += 1;
    const store = new PostgresIncidentStore(pgUrl, schema);
    await store.migrate();
    const name = `r${i}.${generation[i]}`;
    const engine = new IncidentEngine({
      store,
      playbooks: [rdpPlaybook()],
      vm: sim,
      policy,
      sink: (d) => {
        if (d.outboxId !== undefined && reached.has(d.outboxId)) {
          // A message that reached the chat came again (its sender stalled after the send,
          // before its mark, long enough to lose the lease). The product must flag it
          // maybeSent, so that the channel looks for it in the thread before posting
          // (Slack: src/channels/slack/post-once.ts) and finds it, as here.
          if (!d.maybeSent) unflagged.push(d.outboxId);
          return;
        }
        if (d.outboxId !== undefined) reached.add(d.outboxId);
        deliveries.push(d);
      },
      progressIntervalMs: 0,
      replicaId: name,
      leaseMs: 150,
      outboxPollMs: 20,
      onError: (err, where) => {
        errors.push(`${where}: ${String(err)}`);
      },
    });
    await engine.recover();
    const r = { name, engine, store, alive: true };
    everyone.push(r);
    return r;
  };
  const replicas = [await replica(0, true), await replica(1, true)];
  const view = (r: Replica) => ({ engine: r.engine, store: r.store }) as unknown as Harness;
  const alive = () => replicas.filter((r) => r.alive);
  const pending: Promise<unknown>[] = [];
  try {
    const ids: string[] = [];
    for (const [k, vm] of vms.entries()) {
      const started = await replicas[k % 2]!.engine.handle({
        type: 'start',
        vm: { subscriptionId: 's', resourceGroup: 'rg', name: vm },
        requester: alice,
        channel: { ...Fuzz },
        locale: 'en',
      });
      if (!started.ok) throw new Error(started.message.en);
      ids.push(started.incidentId);
    }
    const commandFor = async (r: Replica, incident: number, who: User, verb: string) => {
      const now = await currentStep(view(r), ids[incident]!);
      if (!now.stepId) return undefined;
      const step = rdpPlaybook().stepById.get(now.stepId)!;
      // As the card in the incident's own conversation would carry it.
      const base = {
        incidentId: ids[incident]!,
        stepId: now.stepId,
        attempt: now.attempt,
        user: who,
        from: Fuzz,
      };
      if ('answers' in step && step.answers.length)
        return { type: 'answer', ...base, answer: step.answers[0]!.id } as Command;
      if (verb === 'skip') return { type: 'skip', ...base } as Command;
      return { type: 'approve', ...base, ...scriptHashOf(now.stepId) } as Command;
    };

    for (const a of actions) {
      if (a.kind === 'decide') {
        const r = replicas[a.replica]!;
        if (!r.alive) continue;
        const command = await commandFor(r, a.incident, people[a.who]!, a.verb);
        if (!command) continue;
        const sent = r.engine.handle(command);
        if (a.wait) await sent;
        else pending.push(sent);
      } else if (a.kind === 'both') {
        const live = alive();
        if (live.length === 0) continue;
        const command = await commandFor(live[0]!, a.incident, people[a.who]!, 'approve');
        if (command) await Promise.all(live.map((r) => r.engine.handle(command)));
      } else if (a.kind === 'crash') {
        const r = replicas[a.replica]!;
        if (r.alive) {
          r.engine.close();
          r.alive = false;
        }
      } else if (a.kind === 'restart') {
        const old = replicas[a.replica]!;
        if (old.alive) continue;
        // The same name means the old process is gone: its last in-flight work has ended.
        if (a.sameName) await old.engine.idle();
        replicas[a.replica] = await replica(a.replica, a.sameName);
      } else if (a.kind === 'pause') await sleep(a.ms);
    }
    await Promise.allSettled(pending);
    for (const i of [0, 1]) if (!replicas[i]!.alive) replicas[i] = await replica(i, false);

    // Drive every incident to its end, through either replica, as an approver would.
    for (const [k, id] of ids.entries()) {
      await until(
        `incident ${k} closed`,
        async () => {
          const r = replicas[Math.floor(Math.random() * 2)]!;
          const now = await currentStep(view(r), id);
          if (now.record.status === 'closed') return true;
          const command = await commandFor(r, k, bob, 'approve');
          if (command) await r.engine.handle(command);
          await sleep(5);
          return undefined;
        },
        60_000,
      );
    }
    const store = replicas[0]!.store;
    await until(
      'every message delivered',
      async () => ((await store.outboxDepth()) === 0 ? true : undefined),
      20_000,
    ).catch(async (err: unknown) => {
      // Say what was left, and who held it: a stall here is a delivery bug to chase.
      const left = await sql(
        `select id, incident_id, attempts, next_at, owner, lease_until from ${schema}.outbox where status = 'pending' order by id`,
      );
      throw new Error(
        `${String(err)}\nat ${new Date().toISOString()}, replicas ${replicas.map((r) => `${r.name}${r.alive ? '' : ' (stopped)'}`).join(', ')}\npending: ${JSON.stringify(left)}\nengine errors: ${JSON.stringify(errors)}`,
      );
    });
    for (const r of alive()) await r.engine.idle();

    // No change sent twice for one step attempt; each after its recorded approval.
    const readOnly = new Set(
      rdpPlaybook()
        .steps.filter((s) => 'risk' in s && s.risk === 'readOnly')
        .map((s) => s.id),
    );
    const changes = sim.calls
      .filter((c) => !readOnly.has(c.stepId))
      .map((c) => `${c.vm}/${c.stepId}#${c.attempt}`);
    expect(new Set(changes).size).toBe(changes.length);
    for (const [k, id] of ids.entries()) {
      const record = await store.get(id);
      expect(record?.status).toBe('closed');
      const transcript = await store.transcript(id);
      expect(verifyChain(transcript).ok).toBe(true);
      for (const c of sim.calls.filter((x) => x.vm === vms[k])) {
        const approval = transcript.find(
          (e) => e.kind === 'step.approved' && e.data.stepId === c.stepId && e.data.attempt === c.attempt,
        );
        expect(approval?.actor).toBe(c.approvedBy);
      }
      // The incident's story reached the chat once, in order.
      const written = transcript
        .filter((e) => e.kind === 'message.posted')
        .map((e) => JSON.stringify(e.data.message));
      const delivered = deliveries
        .filter((d) => d.incidentId === id && queued(d.message))
        .map((d) => JSON.stringify(d.message));
      expect(delivered).toEqual(written);
    }
    expect(errors.filter((e) => !/aborted|AbortError/i.test(e))).toEqual([]);
    // A message sent again was always flagged for the channel's look-up.
    expect(unflagged).toEqual([]);
  } finally {
    for (const r of everyone) r.engine.close();
    await Promise.allSettled(pending);
    for (const r of everyone) await r.engine.idle();
    for (const r of everyone) await r.store.close();
    await sql(`drop schema if exists ${schema} cascade`);
  }
});

/**
 * Counterexamples found before, replayed on every run (fast-check regenerates the same
 * actions from a seed and path); the random runs come after them.
 */
const Known = [
  // Issue 12: a heartbeat and a settlement deadlocked; the stalled rows stayed pending.
  { seed: 1785756780, path: '10' },
  // Found again here on 2026-12-01 before the fix: 19 messages of one incident left pending.
  { seed: -1413576863, path: '11' },
];

test.each(Known)('replay of a known counterexample: seed $seed, path $path', async ({ seed, path }) => {
  await fc.assert(interleavings, { seed, path, numRuns: 1, endOnFailure: true });
});

test('random interleavings of commands, crashes and restarts across two replicas', async () => {
  const seed = process.env.FUZZ_SEED
    ? Number(process.env.FUZZ_SEED)
    : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
  try {
    // No shrinking: each run costs a database schema and real time; the first counterexample is reported.
    await fc.assert(interleavings, {
      numRuns: Number(process.env.FUZZ_RUNS ?? 15),
      endOnFailure: true,
      seed,
      ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
    });
  } catch (err) {
    const path = /path: "([^"]+)"/.exec(String(err))?.[1] ?? '';
    // fast-check 4 keeps the property's own failure as the cause: say it, or the report names
    // the counterexample but not what went wrong with it.
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause ?? '');
    throw new Error(
      `replay with FUZZ_SEED=${seed} FUZZ_PATH=${path} FUZZ_RUNS=1\n${String(err)}\ncause: ${why}`,
    );
  }
});

/** Messages that go through the outbox (refusals and "still running" updates are sent directly). */
function queued(message: OutMessage): boolean {
  return message.kind !== 'refusal' && !(message.kind === 'progress' && !message.done);
}
