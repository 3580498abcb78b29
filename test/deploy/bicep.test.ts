import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Bicep deployment, read as text (no Bicep compiler on this machine): the app is told its
 * tenant, and PostgreSQL admits the app's own outbound addresses, not every Azure service.
 */
const dir = join(__dirname, '..', '..', 'deploy', 'azure');
const main = readFileSync(join(dir, 'main.bicep'), 'utf8');
const firewall = readFileSync(join(dir, 'postgres-firewall.bicep'), 'utf8');

test('tenantId is a required parameter, passed to the app as the setting the Agents SDK reads', () => {
  // No default value: the deployment must name the tenant.
  expect(main).toMatch(/^param tenantId string$/m);
  expect(main).toMatch(/@minLength\(36\)\s*@maxLength\(36\)\s*param tenantId string/);
  expect(main).toContain("{ name: 'tenantId', value: tenantId }");
  expect(main).toContain("{ name: 'RDPFIX_TEAMS_APPROVERS', value: teamsApprovers }");
});

test('the PostgreSQL firewall admits the app’s outbound addresses only', () => {
  // 0.0.0.0–0.0.0.0 is Azure's "allow all Azure services": any tenant's.
  expect(`${main}\n${firewall}`).not.toContain("'0.0.0.0'");
  expect(main).not.toMatch(/firewallRules/);
  expect(main).toMatch(
    /module pgFromApp 'postgres-firewall\.bicep' = if \(postgres\) \{[\s\S]{0,200}addresses: app\.properties\.outboundIpAddresses/,
  );
  expect(firewall).toMatch(/for \(address, i\) in addresses:/);
  expect(firewall).toContain('properties: { startIpAddress: address, endIpAddress: address }');
});
