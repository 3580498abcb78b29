import { ErrorCodes } from '../../src/core/errors';
import { verifyChain } from '../../src/core/transcript';
import type { DispatchRecord, IncidentStore, NewIncident } from '../../src/store/incident-store';

export function newIncident(id: string, overrides: Partial<NewIncident> = {}): NewIncident {
  return {
    id,
    playbookId: 'rdp-internal-error',
    playbookHash: 'h',
    vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'vm-web-01' },
    requester: { id: 'U1', name: 'alice' },
    channel: { platform: 'slack', channel: 'C1' },
    locale: 'en',
    status: 'open',
    outcome: null,
    state: 'preflight',
    causes: [],
    snapshot: { value: 'preflight', context: { n: 1 } },
    pending: null,
    ...overrides,
  };
}

/** One contract for every IncidentStore implementation. */
export function describeStoreContract(name: string, make: () => Promise<IncidentStore>) {
  describe(`IncidentStore contract: ${name}`, () => {
    let store: IncidentStore;
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

    const T0 = '2026-11-25T10:00:00.000Z';
    const T1 = '2026-11-25T10:00:30.000Z';
    const T2 = '2026-11-25T10:01:00.000Z';
    const dispatch = (over: Partial<DispatchRecord> = {}): DispatchRecord => ({
      incidentId: 'i1',
      stepId: 'enable-tls',
      attempt: 1,
      status: 'dispatching',
      pollerState: null,
      result: null,
      updatedAt: T0,
      owner: 'replica-a',
      leaseUntil: T1,
      ...over,
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
      await store.settleOutbox([other[0]!.id], 'replica-b', 'sent', T0);
      await store.settleOutbox([first[0]!.id], 'replica-a', 'sent', T0);
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
      await store.settleOutbox([first[2]!.id], 'replica-a', 'failed', T2, 'late');
      expect(await store.outboxDepth()).toBe(3);
      // ...but its "the platform accepted it" is a fact, recorded so that no one sends it again.
      await store.settleOutbox([first[2]!.id], 'replica-a', 'sent', T2);
      expect(await store.outboxDepth()).toBe(2);
      expect(
        (await store.claimOutbox({ ...claim, owner: 'replica-b', now: T2 })).map((i) => i.message),
      ).toEqual([{ n: 2 }, { n: 4 }]);
      await store.settleOutbox(
        retried.map((i) => i.id),
        'replica-b',
        'sent',
        T2,
      );
      expect(await store.outboxDepth()).toBe(0);
    });

    test('message refs are shared: the last value wins', async () => {
      expect(await store.getRef('slack:card:i1:x:1')).toBeUndefined();
      await store.setRef('slack:card:i1:x:1', '{"ts":"1"}', T0);
      await store.setRef('slack:card:i1:x:1', '{"ts":"2"}', T1);
      expect(await store.getRef('slack:card:i1:x:1')).toBe('{"ts":"2"}');
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

    test('records handed out are copies', async () => {
      await store.create(newIncident('i1'), [], 't');
      const got = await store.get('i1');
      (got!.snapshot as { value: string }).value = 'changed';
      expect(((await store.get('i1'))!.snapshot as { value: string }).value).toBe('preflight');
    });
  });
}
