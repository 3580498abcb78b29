import { resolve } from 'node:path';
import { loadConfig } from '../src/config';

describe('configuration', () => {
  test('defaults for local use', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3978,
      host: '127.0.0.1',
      database: { kind: 'sqlite', file: resolve('data/rdp-fix.db') },
      locale: 'en',
      policy: {
        approvers: { slack: [], teams: [], cli: [], web: [] },
        allowSelfApproval: undefined,
        // Local mode (the simulator): with no list, the requester approves alone, as before.
        selfApprovalWhenUnlisted: true,
        ttlMs: 3_600_000,
        twoPersonRisks: [],
        maxOpenPerUser: undefined, // local mode: no per-user limit unless set
      },
    });
  });

  test('RDPFIX_RUN_COMMAND: managed by default, action on request, anything else refused by name', () => {
    expect(loadConfig({}).azure.runCommand).toBe('managed');
    expect(loadConfig({ RDPFIX_RUN_COMMAND: 'action' }).azure.runCommand).toBe('action');
    expect(() => loadConfig({ RDPFIX_RUN_COMMAND: 'invoke' })).toThrow(/RDPFIX_RUN_COMMAND: /);
  });

  test('RDPFIX_PG_POOL_SIZE: 10 connections by default, a whole number of at least 1, refused by name otherwise', () => {
    const url = 'postgres://rdpfix@db.example:5432/rdpfix?schema=ops';
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://rdpfix@db.example:5432/rdpfix',
      schema: 'ops',
      poolSize: 10,
    });
    expect(loadConfig({ DATABASE_URL: url, RDPFIX_PG_POOL_SIZE: '25' }).database).toMatchObject({
      kind: 'postgres',
      poolSize: 25,
    });
    // Read, and checked, whatever the database: a bad value is a mistake even before a move to PostgreSQL.
    expect(loadConfig({ RDPFIX_PG_POOL_SIZE: '25' }).database).toEqual({
      kind: 'sqlite',
      file: resolve('data/rdp-fix.db'),
    });
    for (const bad of ['0', '-3', '2.5', 'ten', ''])
      expect(() => loadConfig({ DATABASE_URL: url, RDPFIX_PG_POOL_SIZE: bad })).toThrow(
        /RDPFIX_PG_POOL_SIZE: /,
      );
    expect(() => loadConfig({ RDPFIX_PG_POOL_SIZE: '0' })).toThrow(
      /RDPFIX_PG_POOL_SIZE: must be at least 1 connection/,
    );
    for (const notWhole of ['2.5', 'ten'])
      expect(() => loadConfig({ RDPFIX_PG_POOL_SIZE: notWhole })).toThrow(
        /RDPFIX_PG_POOL_SIZE: must be a whole number of connections/,
      );
  });

  test('lists, flags and numbers', () => {
    const c = loadConfig({
      PORT: '4000',
      RDPFIX_APPROVERS: ' U1, U2 ,,',
      RDPFIX_ALLOW_SELF_APPROVAL: 'yes',
      RDPFIX_APPROVAL_TTL_MINUTES: '15',
      RDPFIX_LOCALE: 'it',
      DATABASE_URL: 'memory:',
      RDPFIX_RESOURCE_GROUPS: 'rg-a,rg-b',
    });
    expect(c.port).toBe(4000);
    expect(c.policy).toEqual({
      approvers: { slack: ['U1', 'U2'], teams: [], cli: [], web: [] },
      allowSelfApproval: true,
      selfApprovalWhenUnlisted: true,
      ttlMs: 900_000,
      twoPersonRisks: [],
      maxOpenPerUser: undefined,
    });
    expect(c.locale).toBe('it');
    expect(c.database).toEqual({ kind: 'memory' });
    expect(c.azure.resourceGroups).toEqual(['rg-a', 'rg-b']);
  });

  test('every bad value is named', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', RDPFIX_LOCALE: 'fr', RDPFIX_ALLOW_SELF_APPROVAL: 'maybe' }),
    ).toThrow(/PORT: .*\n.*RDPFIX_LOCALE: .*\n.*RDPFIX_ALLOW_SELF_APPROVAL: /);
    expect(() => loadConfig({ RDPFIX_ALLOW_SELF_APPROVAL: 'false' })).toThrow(/nobody could approve a step/);
    expect(() => loadConfig({ DATABASE_URL: 'sqlite:' })).toThrow(/sqlite: needs a file path/);
  });

  test("approvers per platform: Slack ids and the terminal's local: ids in RDPFIX_APPROVERS, Entra ids in RDPFIX_TEAMS_APPROVERS, never merged", () => {
    const c = loadConfig({ RDPFIX_APPROVERS: 'U1,local:ops', RDPFIX_TEAMS_APPROVERS: 'aad-1' });
    expect(c.policy.approvers).toEqual({ slack: ['U1'], cli: ['local:ops'], teams: ['aad-1'], web: [] });
    // Teams' refresh list is the Teams approvers only: a Slack id never reaches a Teams card.
    expect(c.teams.approverIds).toEqual(['aad-1']);
    expect(loadConfig({ RDPFIX_APPROVERS: 'U1' }).teams.approverIds).toEqual([]);
  });

  test('Azure mode fails closed: no approver list refuses to start, naming both settings, unless self-approval is explicit', () => {
    const azure = { AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555' };
    expect(() => loadConfig(azure)).toThrow(/RDPFIX_APPROVERS.*RDPFIX_ALLOW_SELF_APPROVAL=true/s);
    expect(() => loadConfig({ ...azure, RDPFIX_ALLOW_SELF_APPROVAL: 'no' })).toThrow(/nobody could approve/);
    expect(loadConfig({ ...azure, RDPFIX_ALLOW_SELF_APPROVAL: 'true' }).policy).toMatchObject({
      selfApprovalWhenUnlisted: true,
    });
    // A list for one platform: the other platform's incidents have no approver, and no fallback.
    expect(loadConfig({ ...azure, RDPFIX_TEAMS_APPROVERS: 'aad-1' }).policy).toMatchObject({
      approvers: { slack: [], teams: ['aad-1'] },
      selfApprovalWhenUnlisted: false,
    });
    // Local mode keeps its behaviour: no list, the requester approves alone.
    expect(loadConfig({}).policy.selfApprovalWhenUnlisted).toBe(true);
  });

  test("RDPFIX_TWO_PERSON_RISK: the playbook's risk names (and the issue's two aliases); unknown names refused at start", () => {
    const two = { RDPFIX_APPROVERS: 'U1,U2' };
    expect(
      loadConfig({ ...two, RDPFIX_TWO_PERSON_RISK: 'restartsVm, changesConfig' }).policy.twoPersonRisks,
    ).toEqual(['restartsVm', 'changesConfig']);
    expect(
      loadConfig({ ...two, RDPFIX_TWO_PERSON_RISK: 'restart,changesConfiguration' }).policy.twoPersonRisks,
    ).toEqual(['restartsVm', 'changesConfig']);
    expect(() => loadConfig({ ...two, RDPFIX_TWO_PERSON_RISK: 'reboot' })).toThrow(
      /RDPFIX_TWO_PERSON_RISK.*unknown risk "reboot"/,
    );
    // Two different approvers must be possible.
    expect(() => loadConfig({ RDPFIX_APPROVERS: 'U1', RDPFIX_TWO_PERSON_RISK: 'restartsVm' })).toThrow(
      /RDPFIX_TWO_PERSON_RISK: needs at least two approvers/,
    );
  });

  test('RDPFIX_MAX_OPEN_PER_USER: 5 by default against Azure, none in local mode, a whole number of at least 1', () => {
    expect(loadConfig({ RDPFIX_MAX_OPEN_PER_USER: '2' }).policy.maxOpenPerUser).toBe(2);
    expect(loadConfig({}).policy.maxOpenPerUser).toBeUndefined();
    const azure = { AZURE_SUBSCRIPTION_ID: 'sub', RDPFIX_APPROVERS: 'U1' };
    expect(loadConfig(azure).policy.maxOpenPerUser).toBe(5);
    for (const bad of ['0', '-1', 'many'])
      expect(() => loadConfig({ RDPFIX_MAX_OPEN_PER_USER: bad })).toThrow(/RDPFIX_MAX_OPEN_PER_USER: /);
  });

  test('an optional setting given empty counts as unset (the Bicep passes its empty defaults)', () => {
    // Reproduces a review finding: main.bicep sets RDPFIX_PUBLIC_URL and clientId to '' when
    // not given, and the server refused to start ("Invalid URL", "Too small").
    const config = loadConfig({ RDPFIX_PUBLIC_URL: '', clientId: '', tenantId: '', clientSecret: '' });
    expect(config.publicUrl).toBeUndefined();
    expect(config.teams).toMatchObject({ clientId: undefined, tenantId: undefined, clientSecret: undefined });
    expect(() => loadConfig({ RDPFIX_PUBLIC_URL: 'not a url' })).toThrow(/RDPFIX_PUBLIC_URL/);
  });
});
