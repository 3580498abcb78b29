import type { IncidentLog, MessageRefStore, OutboxQueue } from '../../../src/store/incident-store';
import { type Closeable, newIncident, T0, T1, T2 } from './fixtures';

/**
 * The OutboxQueue contract: messages delivered in order per incident, one replica at a time.
 * IncidentLog too: messages are queued only by the writes that tell of them.
 */
export function describeOutboxQueueContract(
  name: string,
  make: () => Promise<OutboxQueue & IncidentLog & MessageRefStore & Closeable>,
) {
  describe(`OutboxQueue contract: ${name}`, () => {
    let store: OutboxQueue & IncidentLog & MessageRefStore & Closeable;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    test('chat messages are queued in the write that tells of them and delivered in order per incident', async () => {
      const msg = (n: number) => ({ kind: 'message.posted' as const, actor: null, data: { message: { n } } });
      await store.create(newIncident('i1'), [msg(1)], T0, [{ n: 1 }]);
      await store.create(newIncident('i2'), [msg(10)], T0, [{ n: 10 }]);
      await store.save('i1', 1, { state: 'x' }, [{ kind: 'error', actor: null, data: {} }, msg(2)], T0, [
        { n: 2 },
      ]);
      await store.append('i1', [msg(3)], T0, [{ n: 3 }]);
      // Only what the caller queues is queued: the store reads no transcript entry.
      await store.append('i1', [msg(99)], T0);
      expect(await store.outboxDepth()).toBe(4);
      const claim = { owner: 'replica-a', until: T1, now: T0, limit: 10 };
      const first = await store.claimOutbox({ ...claim, incidentId: 'i1' });
      expect(first.map((i) => i.message)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      // Another replica cannot take any of i1's messages while they are leased, only i2's.
      const other = await store.claimOutbox({ ...claim, owner: 'replica-b' });
      expect(other.map((i) => i.message)).toEqual([{ n: 10 }]);
      await store.markSent([other[0]!.id], T0);
      await store.markSent([first[0]!.id], T0);
      // A failure holds the rest back until its retry is due.
      await store.retryOutbox(first[1]!, 'replica-a', T2, 'slack said 429');
      await store.append('i1', [msg(4)], T0, [{ n: 4 }]);
      expect(await store.claimOutbox({ ...claim, owner: 'replica-b', now: T1 })).toEqual([]);
      const retried = await store.claimOutbox({
        ...claim,
        owner: 'replica-b',
        now: T2,
        until: '2026-11-25T10:02:00.000Z',
      });
      expect(retried.map((i) => [i.message, i.attempts])).toEqual([
        [{ n: 2 }, 1],
        [{ n: 3 }, 0],
        [{ n: 4 }, 0],
      ]);
      // Each claim is counted: i1's first messages were claimed twice (a, then b).
      expect(retried.map((i) => i.claims)).toEqual([2, 2, 1]);
      // A replica that no longer holds a message cannot give up on it...
      await store.failOutbox([first[2]!.id], 'replica-a', T2, 'late');
      expect(await store.outboxDepth()).toBe(3);
      // ...but its "the platform accepted it" is a fact, recorded so that no one sends it again.
      await store.markSent([first[2]!.id], T2);
      expect(await store.outboxDepth()).toBe(2);
      expect(
        (await store.claimOutbox({ ...claim, owner: 'replica-b', now: T2 })).map((i) => i.message),
      ).toEqual([{ n: 2 }, { n: 4 }]);
      await store.markSent(
        retried.map((i) => i.id),
        T2,
      );
      expect(await store.outboxDepth()).toBe(0);
    });

    test('a round marked sent writes its refs in the same write; marking again changes nothing, the refs still land', async () => {
      const msg = (n: number) => ({ kind: 'message.posted' as const, actor: null, data: { message: { n } } });
      await store.create(newIncident('i1'), [msg(1), msg(2), msg(3)], T0, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      const claim = { owner: 'replica-a', until: T1, now: T0, limit: 10 };
      const [one, two, three] = await store.claimOutbox(claim);
      await store.setRef('slack:card:k2', 'old', T0);
      // A key given twice keeps its last value (PostgreSQL: one upsert may not touch a row twice).
      await store.markSent([one!.id, two!.id], T1, [
        { key: 'slack:card:k2', value: 'ts-2' },
        { key: 'slack:progress:k1', value: 'ts-1' },
        { key: 'slack:card:k2', value: 'ts-2b' },
      ]);
      expect(await store.outboxDepth()).toBe(1);
      expect(await store.getRef('slack:progress:k1')).toBe('ts-1');
      expect(await store.getRef('slack:card:k2')).toBe('ts-2b');
      // Marks held back by a failure come again with their refs: the rows are settled already.
      await store.markSent([one!.id], T2, [{ key: 'slack:card:k3', value: 'ts-3' }]);
      expect(await store.getRef('slack:card:k3')).toBe('ts-3');
      expect(await store.outboxDepth()).toBe(1);
      // Refs without a message (a round whose only delivery failed after the channel kept one).
      await store.markSent([], T2, [{ key: 'slack:card:k4', value: 'ts-4' }]);
      expect(await store.getRef('slack:card:k4')).toBe('ts-4');
      expect(await store.outboxDepth()).toBe(1);
      // Whoever says it: the acceptance is a fact; nothing is left to claim.
      await store.markSent([three!.id], T2);
      expect(await store.outboxDepth()).toBe(0);
      expect(await store.claimOutbox({ ...claim, owner: 'replica-b', now: T2 })).toEqual([]);
    });
  });
}
