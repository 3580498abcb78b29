import { join } from 'node:path';
import { readScript } from '../../src/playbook/script-includes';
import { CriticalServices, notStoppableBecause, type PortOwner } from '../../src/simulator/port-owner';
import { playbookDir } from '../helpers/engine-harness';

/** The simulator decides "can the port owner be stopped" as diagnose.ps1 does. */
const script = readScript(join(playbookDir, 'scripts'), 'diagnose.ps1');

test('the critical service list is the script’s', () => {
  const list = /\$CriticalServices = @\(([\s\S]*?)\n\)/.exec(script)?.[1] ?? '';
  const names = [...list.matchAll(/'([A-Za-z0-9_]+)'/g)].map((m) => m[1]);
  expect(names).toEqual([...CriticalServices]);
});

const owner = (o: Partial<PortOwner>): PortOwner => ({
  process: 'svchost',
  pid: 2210,
  services: ['W3SVC'],
  acceptStop: true,
  ...o,
});

test.each([
  [owner({}), null],
  [
    owner({ pid: 4, process: 'System', services: [] }),
    'PID 4 is the System process (HTTP.sys or another kernel listener)',
  ],
  [owner({ process: 'node', services: [] }), 'node is not a service'],
  [owner({ services: ['RpcSs', 'W3SVC'] }), 'RpcSs must keep running (core Windows service)'],
  [owner({ services: ['termservice'] }), 'termservice must keep running (core Windows service)'],
  [
    owner({ services: ['LegacyAgent'], acceptStop: false }),
    'LegacyAgent does not accept a stop request (AcceptStop false)',
  ],
])('%j: %s', (o, why) => {
  expect(notStoppableBecause(o)).toBe(why);
});
