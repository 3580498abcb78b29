import { ErrorCodes } from '../../../src/core/errors';
import { verifyChain } from '../../../src/core/transcript';
import type { IncidentLog } from '../../../src/store/incident-store';
import { type Closeable, newIncident, T0, T1 } from './fixtures';

/** The IncidentLog contract: incidents, their versions and their hash-chained transcript. */
export function describeIncidentLogContract(name: string, make: () => Promise<IncidentLog & Closeable>) {
  describe(`IncidentLog contract: ${name}`, () => {
    let store: IncidentLog & Closeable;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    test('create, get and an unknown id', async () => {
      const created = await store.create(
        newIncident('i1'),
        [{ kind: 'incident.started', actor: 'U1', data: { a: 1 } }],
        '2026-11-25T10:00:00.000Z',
      );
      expect(created.version).toBe(1);
      const got = await store.get('i1');
      expect(got).toMatchObject({
        id: 'i1',
        version: 1,
        createdAt: '2026-11-25T10:00:00.000Z',
        snapshot: { value: 'preflight', context: { n: 1 } },
      });
      expect(await store.get('nope')).toBeUndefined();
      await expect(store.create(newIncident('i1'), [], 'x')).rejects.toMatchObject({
        code: ErrorCodes.VersionConflict,
      });
    });

    test('save bumps the version and refuses a stale version (no lost update)', async () => {
      await store.create(newIncident('i1'), [], '2026-11-25T10:00:00.000Z');
      const saved = await store.save(
        'i1',
        1,
        { state: 'diagnose.awaiting', pending: { stepId: 'diagnose', attempt: 1, deadline: 'd' } },
        [],
        '2026-11-25T10:01:00.000Z',
      );
      expect(saved).toMatchObject({
        version: 2,
        state: 'diagnose.awaiting',
        updatedAt: '2026-11-25T10:01:00.000Z',
      });
      await expect(
        store.save('i1', 1, { state: 'x' }, [{ kind: 'error', actor: null, data: {} }], 't'),
      ).rejects.toMatchObject({
        code: ErrorCodes.VersionConflict,
      });
      // The refused save appended nothing.
      expect(await store.transcript('i1')).toHaveLength(0);
      expect((await store.get('i1'))?.pending).toEqual({ stepId: 'diagnose', attempt: 1, deadline: 'd' });
      await expect(store.save('nope', 1, {}, [], 't')).rejects.toMatchObject({
        code: ErrorCodes.IncidentNotFound,
      });
    });

    test('transcript entries are appended in order and hash-chained across saves', async () => {
      await store.create(
        newIncident('i1'),
        [{ kind: 'incident.started', actor: 'U1', data: { vm: 'vm-web-01' } }],
        't1',
      );
      await store.save(
        'i1',
        1,
        {},
        [{ kind: 'step.approved', actor: 'U2', data: { stepId: 'diagnose', nested: { b: 2, a: [1, 'x'] } } }],
        't2',
      );
      await store.append(
        'i1',
        [{ kind: 'step.refused', actor: 'U3', data: { reason: "it's <b>hostile</b> \u0000 ✓" } }],
        't3',
      );
      const entries = await store.transcript('i1');
      expect(entries.map((e) => [e.seq, e.kind, e.actor, e.at])).toEqual([
        [1, 'incident.started', 'U1', 't1'],
        [2, 'step.approved', 'U2', 't2'],
        [3, 'step.refused', 'U3', 't3'],
      ]);
      expect(entries[2]?.data.reason).toBe("it's <b>hostile</b> \u0000 ✓");
      expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
      expect(verifyChain(entries)).toEqual({ ok: true, entries: 3 });
      const tampered = entries.map((e) => (e.seq === 2 ? { ...e, data: { stepId: 'restart-vm' } } : e));
      expect(verifyChain(tampered)).toMatchObject({ ok: false, seq: 2 });
      await expect(
        store.append('nope', [{ kind: 'error', actor: null, data: {} }], 't'),
      ).rejects.toMatchObject({ code: ErrorCodes.IncidentNotFound });
    });

    test('list filters by status, VM and channel, newest first, with a limit', async () => {
      await store.create(
        newIncident('a', { vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'vm-a' } }),
        [],
        '2026-11-25T10:00:00.000Z',
      );
      await store.create(
        newIncident('b', { channel: { platform: 'slack', channel: 'C2' } }),
        [],
        '2026-11-25T11:00:00.000Z',
      );
      await store.create(newIncident('c', { status: 'closed' }), [], '2026-11-25T12:00:00.000Z');
      expect((await store.list()).map((r) => r.id)).toEqual(['c', 'b', 'a']);
      expect((await store.list({ status: 'open' })).map((r) => r.id)).toEqual(['b', 'a']);
      expect((await store.list({ vmName: 'vm-a' })).map((r) => r.id)).toEqual(['a']);
      expect((await store.list({ channel: 'C2' })).map((r) => r.id)).toEqual(['b']);
      expect((await store.list({ limit: 1 })).map((r) => r.id)).toEqual(['c']);
      await store.save('b', 1, { status: 'closed' }, [], 't');
      expect((await store.list({ status: 'open' })).map((r) => r.id)).toEqual(['a']);
    });

    test('setThread records the thread without raising the version', async () => {
      await store.create(newIncident('i1'), [], 't');
      await store.setThread('i1', '1732540000.000100');
      const got = await store.get('i1');
      expect(got?.channel).toEqual({ platform: 'slack', channel: 'C1', thread: '1732540000.000100' });
      expect(got?.version).toBe(1);
      const saved = await store.save('i1', 1, { state: 'x' }, [], 't2');
      expect(saved.channel.thread).toBe('1732540000.000100');
      await expect(store.setThread('nope', 'x')).rejects.toMatchObject({ code: ErrorCodes.IncidentNotFound });
    });

    test('one open incident per VM: a second is refused with the open one, names compared case-insensitively; closing frees the VM', async () => {
      const vm = { subscriptionId: 'sub-1', resourceGroup: 'rg-a', name: 'vm-web-01' };
      await store.create(newIncident('first', { vm }), [{ kind: 'error', actor: null, data: {} }], 't');
      const shouting = { subscriptionId: 'SUB-1', resourceGroup: 'RG-A', name: 'VM-WEB-01' };
      await expect(
        store.create(
          newIncident('second', { vm: shouting }),
          [{ kind: 'error', actor: null, data: {} }],
          't',
        ),
      ).rejects.toMatchObject({ code: ErrorCodes.IncidentAlreadyOpen, details: { incidentId: 'first' } });
      // The refused create left nothing behind.
      expect(await store.get('second')).toBeUndefined();
      expect(await store.transcript('second')).toEqual([]);
      // Another VM, or a closed incident of the same VM, is no obstacle.
      await store.create(newIncident('elsewhere', { vm: { ...vm, name: 'vm-web-02' } }), [], 't');
      await store.create(newIncident('old', { vm, status: 'closed' }), [], 't');
      await store.save('first', 1, { status: 'closed' }, [], 't2');
      await store.create(newIncident('third', { vm }), [], 't3');
      // Re-opening the closed one while 'third' is open would make two: the save keeps it closed.
      expect((await store.list({ status: 'open', vmName: 'vm-web-01' })).map((r) => r.id)).toEqual(['third']);
    });

    test('two creates for one VM at the same time: exactly one succeeds', async () => {
      const vm = { subscriptionId: 'sub-1', resourceGroup: 'rg-a', name: 'vm-race' };
      const results = await Promise.allSettled(
        ['r1', 'r2', 'r3', 'r4'].map((id) => store.create(newIncident(id, { vm }), [], 't')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCodes.IncidentAlreadyOpen });
    });

    test('list filters by requester (the per-user limit)', async () => {
      await store.create(newIncident('a'), [], '2026-11-25T10:00:00.000Z');
      await store.create(newIncident('b', { requester: { id: 'U2' } }), [], '2026-11-25T11:00:00.000Z');
      await store.create(newIncident('c', { status: 'closed' }), [], '2026-11-25T12:00:00.000Z');
      expect((await store.list({ status: 'open', requester: 'U1' })).map((r) => r.id)).toEqual(['a']);
      expect((await store.list({ requester: 'U1' })).map((r) => r.id)).toEqual(['c', 'a']);
    });

    test('openIncidents: every open incident with its state and whether it waits, closed ones left out', async () => {
      const waiting = { stepId: 'diagnose', attempt: 1, deadline: T1 };
      await store.create(newIncident('o1'), [], T0);
      await store.create(
        newIncident('o2', {
          state: 'diagnose.awaiting',
          pending: waiting,
          vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'vm-2' },
        }),
        [],
        T0,
      );
      await store.create(
        newIncident('o3', { vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'vm-3' } }),
        [],
        T0,
      );
      await store.save('o3', 1, { status: 'closed', state: 'done', outcome: 'resolved' }, [], T1);
      await store.save('o1', 1, { state: 'diagnose.running' }, [], T1);
      const open = (await store.openIncidents()).sort((a, b) => a.id.localeCompare(b.id));
      expect(open).toEqual([
        { id: 'o1', updatedAt: T1, state: 'diagnose.running', waiting: false },
        { id: 'o2', updatedAt: T0, state: 'diagnose.awaiting', waiting: true },
      ]);
      // A wait that ended is no longer one.
      await store.save('o2', 1, { state: 'diagnose.running', pending: null }, [], T1);
      expect((await store.openIncidents()).find((o) => o.id === 'o2')?.waiting).toBe(false);
    });

    test('records handed out are copies', async () => {
      await store.create(newIncident('i1'), [], 't');
      const got = await store.get('i1');
      (got!.snapshot as { value: string }).value = 'changed';
      expect(((await store.get('i1'))!.snapshot as { value: string }).value).toBe('preflight');
    });
  });
}
