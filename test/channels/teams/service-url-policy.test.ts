import { serviceUrlPolicy, TeamsServiceHosts } from '../../../src/channels/teams/service-url-policy';

test("Microsoft's Teams connector hosts, from the SDK's TeamsServiceEndpoints", () => {
  expect([...TeamsServiceHosts].sort()).toEqual([
    'smba.infra.dod.teams.microsoft.us',
    'smba.infra.gcc.teams.microsoft.com',
    'smba.infra.gov.teams.microsoft.us',
    'smba.trafficmanager.net',
  ]);
});

test('exact hosts over https; loopback only when allowed; extra hosts added', () => {
  const azure = serviceUrlPolicy({
    extraHosts: ['connector.sovereign.example', '127.0.0.1'],
    allowLoopback: false,
  });
  for (const ok of [
    'https://smba.trafficmanager.net/amer/',
    'https://SMBA.trafficmanager.net./emea/',
    'https://smba.infra.gcc.teams.microsoft.com/teams',
    'https://connector.sovereign.example/x/',
    'http://127.0.0.1:3979/',
  ])
    expect({ ok, refusal: azure.refusal(ok) }).toEqual({ ok, refusal: undefined });
  for (const bad of [
    'https://evil.smba.trafficmanager.net/amer/',
    'https://smba.trafficmanager.net.evil.example/',
    'http://smba.trafficmanager.net/amer/',
    'http://connector.sovereign.example/',
    'http://127.0.0.2:3979/',
    'https://a:b@smba.trafficmanager.net/amer/',
    'ftp://smba.trafficmanager.net/',
    '',
    undefined,
    42,
  ])
    expect(azure.refusal(bad)).toBeDefined();
  expect(azure.isAllowed(new URL('https://smba.trafficmanager.net/amer/'))).toBe(true);
  const local = serviceUrlPolicy({ extraHosts: [], allowLoopback: true });
  expect(local.refusal('http://127.0.0.2:3979/')).toBeUndefined();
  expect(local.refusal('http://localhost:3979/')).toBeUndefined();
  expect(local.refusal('http://192.0.2.2:3979/')).toBe('the serviceUrl is not https');
});
