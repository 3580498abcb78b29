import type { DispatchLeases, IncidentLog } from '../../../src/store/incident-store';
import { type Closeable, dispatch, newIncident, T0, T1, T2 } from './fixtures';

/**
 * The DispatchLeases contract: a dispatch is claimed once, changed only by its holder, final
 * once done. IncidentLog too: a dispatch belongs to an incident and its end is told in the
 * incident's transcript.
 */
export function describeDispatchLeasesContract(
  name: string,
  make: () => Promise<DispatchLeases & IncidentLog & Closeable>,
) {
  describe(`DispatchLeases contract: ${name}`, () => {
    let store: DispatchLeases & IncidentLog & Closeable;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    test('a dispatch is claimed once; only its owner updates it, and once done it stays done', async () => {
      await store.create(newIncident('i1'), [], T0);
      expect(await store.claimDispatch(dispatch())).toBe(true);
      expect(await store.claimDispatch(dispatch({ owner: 'replica-b' }))).toBe(false);
      expect(await store.claimDispatch(dispatch({ attempt: 2 }))).toBe(true);
      expect(await store.updateDispatch(dispatch({ status: 'polling', pollerState: '{"op":1}' }))).toBe(true);
      expect(await store.updateDispatch(dispatch({ owner: 'replica-b', pollerState: 'stolen' }))).toBe(false);
      expect(await store.getDispatch('i1', 'enable-tls', 1)).toMatchObject({
        status: 'polling',
        pollerState: '{"op":1}',
        owner: 'replica-a',
        leaseUntil: T1,
      });
      const output = [{ kind: 'step.output' as const, actor: null, data: { stdout: 'ok' } }];
      expect(
        await store.finishDispatch(dispatch({ owner: 'replica-b', result: { outcome: 'ok' } }), output, T0),
      ).toBe(false);
      expect(await store.transcript('i1')).toHaveLength(0);
      expect(
        await store.finishDispatch(dispatch({ result: { outcome: 'ok', data: { x: 1 } } }), output, T0),
      ).toBe(true);
      expect(await store.getDispatch('i1', 'enable-tls', 1)).toMatchObject({
        status: 'done',
        result: { outcome: 'ok', data: { x: 1 } },
        leaseUntil: null,
      });
      expect((await store.transcript('i1')).map((e) => e.kind)).toEqual(['step.output']);
      // Done is final: neither a second finish nor a late poller update changes it.
      expect(await store.finishDispatch(dispatch({ result: { outcome: 'failed' } }), output, T0)).toBe(false);
      expect(await store.updateDispatch(dispatch({ status: 'polling' }))).toBe(false);
      expect(await store.getDispatch('i1', 'enable-tls', 3)).toBeUndefined();
    });

    test('a dispatch is taken over once its lease lapsed, or by the replica holding it; a done one never', async () => {
      await store.create(newIncident('i1'), [], T0);
      await store.claimDispatch(dispatch());
      const key = { incidentId: 'i1', stepId: 'enable-tls', attempt: 1 };
      expect(await store.lapsedDispatches(T0, 10)).toEqual([]);
      expect(await store.takeOverDispatch(key, 'replica-b', T2, T0)).toBeUndefined();
      // Its holder may take it again (a process restarted under the same name): the lease moves on.
      expect(await store.takeOverDispatch(key, 'replica-a', T2, T0)).toMatchObject({
        owner: 'replica-a',
        leaseUntil: T2,
      });
      const later = '2026-11-25T10:02:00.000Z';
      expect((await store.lapsedDispatches(later, 10)).map((d) => d.stepId)).toEqual(['enable-tls']);
      expect(await store.takeOverDispatch(key, 'replica-b', '2026-11-25T10:03:00.000Z', later)).toMatchObject(
        {
          owner: 'replica-b',
          leaseUntil: '2026-11-25T10:03:00.000Z',
        },
      );
      expect(
        await store.finishDispatch(dispatch({ owner: 'replica-b', result: { outcome: 'ok' } }), [], later),
      ).toBe(true);
      const muchLater = '2026-11-25T10:09:00.000Z';
      expect(await store.lapsedDispatches(muchLater, 10)).toEqual([]);
      expect(
        await store.takeOverDispatch(key, 'replica-c', '2026-11-25T10:10:00.000Z', muchLater),
      ).toBeUndefined();
    });
  });
}
