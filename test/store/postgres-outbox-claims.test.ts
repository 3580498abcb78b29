import type { OutboxItem } from '../../src/store/incident-store';
import { newIncident, T0, T1, T2 } from './contract/fixtures';
import { dropSchemas, freshStores, whileHeld } from './postgres-fixtures';

/**
 * Outbox claims on PostgreSQL without a table-wide lock (issue 20, part 3): replicas claiming
 * at the same time queue only on the rows of the incidents they both want, and an incident's
 * messages are still held by one replica at a time, all of them, in order.
 */
afterAll(dropSchemas);

const posted = (n: number) => ({ kind: 'message.posted' as const, actor: null, data: { message: { n } } });

test('two replicas claiming the same incidents at once: each incident goes to one of them, whole and in order', async () => {
  const { store, other } = await freshStores('claims');
  const incidents = Array.from({ length: 30 }, (_, i) => `i${String(i).padStart(2, '0')}`);
  for (const id of incidents) {
    await store.create(newIncident(id), [posted(1)], T0, [{ id, n: 1 }]);
    await store.append(id, [posted(2), posted(3)], T0, [
      { id, n: 2 },
      { id, n: 3 },
    ]);
  }
  // Sweeps and deliveries of single incidents, all at once, each under an owner of its own
  // (a replica may claim again what it holds), over two connection pools.
  const claims = await Promise.all(
    Array.from({ length: 24 }, (_, i) => {
      const [replica, owner] = [i % 2 ? other : store, `replica-${i}`];
      const incidentId = i % 3 === 0 ? incidents[i] : undefined;
      return replica
        .claimOutbox({ owner, until: T2, now: T0, limit: 8, incidentId })
        .then((items) => items.map((item) => ({ owner, item })));
    }),
  );
  const byIncident = new Map<string, { owner: string; item: OutboxItem }[]>();
  for (const claimed of claims.flat()) {
    const list = byIncident.get(claimed.item.incidentId) ?? [];
    list.push(claimed);
    byIncident.set(claimed.item.incidentId, list);
  }
  expect(byIncident.size).toBeGreaterThan(0);
  for (const [, claimed] of byIncident) {
    // Claimed once: by one replica, each message once, all three, in order.
    expect(new Set(claimed.map((c) => c.owner)).size).toBe(1);
    expect(claimed.map((c) => (c.item.message as { n: number }).n)).toEqual([1, 2, 3]);
    expect(claimed.map((c) => c.item.claims)).toEqual([1, 1, 1]);
  }
  // What no one claimed yet is still there for the next sweep; what was claimed is not.
  const rest = await other.claimOutbox({ owner: 'replica-c', until: T2, now: T1, limit: 100 });
  expect(rest.filter((m) => byIncident.has(m.incidentId))).toEqual([]);
  expect(new Set(rest.map((m) => m.incidentId)).size + byIncident.size).toBe(incidents.length);
});

test('a claim that waited for another replica claiming the same incident leaves it to that replica', async () => {
  const { store, other, schema } = await freshStores('queue');
  await store.create(newIncident('i1'), [posted(1)], T0, [{ n: 1 }]);
  await store.append('i1', [posted(2)], T0, [{ n: 2 }]);
  // Both claims find i1 free in their snapshots and queue on its first message's row.
  await whileHeld(
    schema,
    'select 1 from outbox where id = (select min(id) from outbox) for update',
    [],
    async (held) => {
      const a = store.claimOutbox({ owner: 'replica-a', until: T2, now: T0, limit: 10, incidentId: 'i1' });
      await held.waiting(1);
      const b = other.claimOutbox({ owner: 'replica-b', until: T2, now: T0, limit: 10 });
      await held.waiting(2);
      await held.blocker.query('rollback');
      // The first in the queue claims; the second reads the rows again once locked, finds
      // replica-a's lease on them and leaves the incident alone.
      expect((await a).map((m) => [m.message, m.claims])).toEqual([
        [{ n: 1 }, 1],
        [{ n: 2 }, 1],
      ]);
      expect(await b).toEqual([]);
    },
  );
  // Once replica-a's lease lapsed, replica-b takes the incident over, messages in order.
  const later = await other.claimOutbox({
    owner: 'replica-b',
    until: '2026-11-25T10:05:00.000Z',
    now: '2026-11-25T10:02:00.000Z',
    limit: 10,
  });
  expect(later.map((m) => [m.message, m.claims])).toEqual([
    [{ n: 1 }, 2],
    [{ n: 2 }, 2],
  ]);
});
