import { HeldLeases } from '../../src/engine/held-leases';

test('a message may be sent while more than a third of its lease is left', () => {
  const leases = new HeldLeases(30_000);
  leases.claimed([1], 30_000);
  expect(leases.maySend(1, 0)).toBe(true);
  expect(leases.maySend(1, 19_999)).toBe(true);
  expect(leases.maySend(1, 20_000)).toBe(false);
  // Never claimed here, or settled: not ours to send.
  expect(leases.maySend(2, 0)).toBe(false);
  leases.released(1);
  expect(leases.maySend(1, 0)).toBe(false);
});

test('a heartbeat extends the leases still held when its write ended, and only those', () => {
  const leases = new HeldLeases(30_000);
  leases.claimed([1], 30_000);
  leases.claimed([2], 10_000);
  // The heartbeat's write ended at 20 s: message 1's lease held, message 2's had lapsed (it
  // may be another replica's by now).
  leases.renewed(50_000, 20_000);
  expect(leases.maySend(1, 30_000)).toBe(true);
  expect(leases.maySend(2, 20_000)).toBe(false);
  // A lapsed lease is forgotten: a later heartbeat does not bring it back.
  leases.renewed(80_000, 21_000);
  expect(leases.maySend(2, 21_000)).toBe(false);
});

test('a heartbeat computed before a claim and written after it leaves the earlier lease', () => {
  // Reproduces a review finding: the heartbeat computed `until` = 30 s at 0 s, a claim at
  // 15 s leased the message until 45 s, then the heartbeat's write (16 s) overwrote it
  // with 30 s in the store. Keeping the later value here would let this replica send at
  // 25 s while another replica may take the message at 30 s.
  const leases = new HeldLeases(30_000);
  leases.claimed([1], 45_000);
  leases.renewed(30_000, 16_000);
  expect(leases.maySend(1, 19_999)).toBe(true);
  expect(leases.maySend(1, 25_000)).toBe(false);
});
