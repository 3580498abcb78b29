import { MemoryIncidentStore } from '../../src/store/memory-store';
import { makeHarness, startIncident } from '../helpers/engine-harness';

/**
 * The lease sweep looks at every open incident every few seconds; idle ones stay in the store
 * (issue 20: loading every open incident each sweep kept 1,000 idle incidents' memory).
 */
describe('lease sweep over idle incidents', () => {
  test('a sweep loads no incident this replica already watches; after a restart it loads each waiting one once, to arm its deadline', async () => {
    const store = new MemoryIncidentStore();
    const h = makeHarness({ store });
    const ids = [
      await startIncident(h, 'sim-all-three-sweep'),
      await startIncident(h, 'sim-tls-gpo-sweep'),
      await startIncident(h, 'sim-cert-expired-sweep'),
    ];
    const waiting = await store.openIncidents();
    expect(waiting.map((o) => o.waiting)).toEqual([true, true, true]);
    const get = jest.spyOn(store, 'get');
    const list = jest.spyOn(store, 'list');
    // This engine armed their deadlines as they were saved: nothing to load.
    await h.engine.recover();
    expect(get).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
    // Another engine on the same store (a restart, another replica) has no timer yet.
    const second = makeHarness({ store, sim: h.vm });
    await second.engine.recover();
    expect(get.mock.calls.map(([id]) => id).sort()).toEqual([...ids].sort());
    expect(list).not.toHaveBeenCalled();
  });
});
