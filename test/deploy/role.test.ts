import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NeededActions } from '../../src/azure/needed-actions';
import { RescueActions } from '../../src/azure/rescue/rescue-actions';

/** Every Azure call the agent makes is covered by the role, and the role grants nothing else. */
test('the operator role holds exactly the actions the Azure code uses', () => {
  const role = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'deploy', 'azure', 'rdp-fix-operator.role.json'), 'utf8'),
  );
  const actions: string[] = role.Actions;
  expect([...actions].sort()).toEqual([...NeededActions].sort());
  for (const needed of [
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/instanceView/read',
    'Microsoft.Compute/virtualMachines/runCommand/action',
    'Microsoft.Compute/virtualMachines/runCommands/read',
    'Microsoft.Compute/virtualMachines/runCommands/write',
    'Microsoft.Compute/virtualMachines/runCommands/delete',
    'Microsoft.Compute/virtualMachines/restart/action',
    'Microsoft.Compute/snapshots/write',
    'Microsoft.Network/networkSecurityGroups/securityRules/write',
  ]) {
    expect(actions).toContain(needed);
  }
  expect(actions.some((a) => a.includes('*'))).toBe(false);
  expect(
    actions.some(
      (a) =>
        /delete|deallocate|powerOff|extensions\/write|write$/.test(a) &&
        // The managed Run Command creates and deletes its own run command resources, nothing else.
        !/snapshots\/write|securityRules\/write|virtualMachines\/runCommands\/(write|delete)$/.test(a),
    ),
  ).toBe(false);
  expect(role.DataActions).toEqual([]);
});

/** The offline repair's own role: exactly what src/azure/rescue/ calls, deletes included (by tag only). */
test('the rescue role holds exactly the actions the offline repair uses', () => {
  const role = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'deploy', 'azure', 'rdp-fix-rescue.role.json'), 'utf8'),
  );
  expect([...role.Actions].sort()).toEqual([...RescueActions].sort());
  expect(role.Actions.some((a: string) => a.includes('*'))).toBe(false);
  expect(role.DataActions).toEqual([]);
});
