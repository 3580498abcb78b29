import { loadConfig } from '../../../src/config';

/** The Teams settings as loadConfig reads and checks them: each problem names its variable. */
test('RDPFIX_TEAMS_SERVICE_HOSTS takes host names only', () => {
  expect(
    loadConfig({ RDPFIX_TEAMS_SERVICE_HOSTS: ' smba.example.net , 127.0.0.1,[::1]' }).teams.serviceHosts,
  ).toEqual(['smba.example.net', '127.0.0.1', '[::1]']);
  expect(() => loadConfig({ RDPFIX_TEAMS_SERVICE_HOSTS: 'https://smba.example.net/' })).toThrow(
    /RDPFIX_TEAMS_SERVICE_HOSTS\.0: host names only/,
  );
  expect(() => loadConfig({ RDPFIX_TEAMS_SERVICE_HOSTS: 'ok.example,evil.example/path' })).toThrow(
    /RDPFIX_TEAMS_SERVICE_HOSTS\.1/,
  );
});

test('authorityEndpoint is https, or http on loopback only', () => {
  expect(loadConfig({ authorityEndpoint: 'https://login.microsoftonline.us' }).teams.authority).toBe(
    'https://login.microsoftonline.us',
  );
  expect(loadConfig({ authorityEndpoint: 'http://127.0.0.1:9' }).teams.authority).toBe('http://127.0.0.1:9');
  expect(() => loadConfig({ authorityEndpoint: 'http://login.attacker.example' })).toThrow(
    /authorityEndpoint: must be https/,
  );
});

test('RDPFIX_TEAMS_ANONYMOUS: loopback, not production, not with a client id; all problems at once', () => {
  expect(loadConfig({ RDPFIX_TEAMS_ANONYMOUS: 'true' }).teams.anonymous).toBe(true);
  expect(loadConfig({}).teams.anonymous).toBe(false);
  let message = '';
  try {
    loadConfig({ RDPFIX_TEAMS_ANONYMOUS: 'true', NODE_ENV: 'production', HOST: '0.0.0.0', clientId: 'app' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain('RDPFIX_TEAMS_ANONYMOUS: true is refused with NODE_ENV=production');
  expect(message).toContain('RDPFIX_TEAMS_ANONYMOUS: true needs a loopback HOST (HOST is 0.0.0.0)');
  expect(message).toContain('RDPFIX_TEAMS_ANONYMOUS: true contradicts clientId');
});

test('the Teams approvers are RDPFIX_TEAMS_APPROVERS only, never the Slack list', () => {
  expect(loadConfig({ RDPFIX_APPROVERS: 'U_BOB' }).teams.approverIds).toEqual([]);
  expect(
    loadConfig({ RDPFIX_APPROVERS: 'U_BOB', RDPFIX_TEAMS_APPROVERS: 'aad-bob' }).teams.approverIds,
  ).toEqual(['aad-bob']);
});
