import type {
  DispatchLeases,
  IncidentLog,
  OutboxQueue,
  ReplicaLeases,
} from '../../../src/store/incident-store';
import { type Closeable, dispatch, newIncident, T0, T1, T2 } from './fixtures';

type Store = ReplicaLeases & DispatchLeases & OutboxQueue & IncidentLog & Closeable;

/**
 * The ReplicaLeases contract: a heartbeat keeps a replica's work its own, a release hands it
 * over at once. Its work is dispatches and outbox messages, so the other ports come too.
 */
export function describeReplicaLeasesContract(name: string, make: () => Promise<Store>) {
  describe(`ReplicaLeases contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    test('a lapsed lease is taken over by one replica; a held one is not; heartbeats and release', async () => {
      await store.create(newIncident('i1'), [], T0);
      await store.claimDispatch(dispatch());
      const key = { incidentId: 'i1', stepId: 'enable-tls', attempt: 1 };
      // Before T1 replica-a holds it.
      expect(await store.takeOverDispatch(key, 'replica-b', T2, T0)).toBeUndefined();
      expect(await store.lapsedDispatches(T0, 10)).toEqual([]);
      // A heartbeat moves the lease on; at T1 it still holds.
      await store.renewLeases('replica-a', T2);
      expect(await store.lapsedDispatches(T1, 10)).toEqual([]);
      expect(await store.takeOverDispatch(key, 'replica-b', T2, T1)).toBeUndefined();
      // After the lease: lapsed, and exactly one of two replicas gets it.
      const later = '2026-11-25T10:02:00.000Z';
      expect((await store.lapsedDispatches(later, 10)).map((d) => d.owner)).toEqual(['replica-a']);
      const taken = await Promise.all([
        store.takeOverDispatch(key, 'replica-b', '2026-11-25T10:03:00.000Z', later),
        store.takeOverDispatch(key, 'replica-c', '2026-11-25T10:03:00.000Z', later),
      ]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      const winner = taken.find(Boolean)!.owner!;
      // The old owner lost it: its late writes are refused.
      expect(await store.updateDispatch(dispatch({ status: 'polling' }))).toBe(false);
      // Released (graceful shutdown): free for anyone at once.
      await store.releaseLeases(winner);
      expect(await store.lapsedDispatches(later, 10)).toHaveLength(1);
      expect(await store.takeOverDispatch(key, 'replica-a', T2, later)).toMatchObject({ owner: 'replica-a' });
    });

    test('a heartbeat also keeps the outbox messages a replica claimed; a release frees them at once', async () => {
      await store.create(newIncident('i1'), [], T0, [{ n: 1 }]);
      const claim = { owner: 'replica-a', until: T1, now: T0, limit: 10 };
      expect((await store.claimOutbox(claim)).map((i) => i.message)).toEqual([{ n: 1 }]);
      await store.renewLeases('replica-a', T2);
      // Past the claim's own lease (T1), before the heartbeat's (T2): still replica-a's.
      const between = '2026-11-25T10:00:45.000Z';
      expect(await store.claimOutbox({ ...claim, owner: 'replica-b', now: between })).toEqual([]);
      await store.releaseLeases('replica-a');
      expect(
        (await store.claimOutbox({ ...claim, owner: 'replica-b', now: between })).map((i) => [
          i.message,
          i.claims,
        ]),
      ).toEqual([[{ n: 1 }, 2]]);
    });
  });
}
