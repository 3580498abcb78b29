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
      policy: { approvers: [], allowSelfApproval: undefined, ttlMs: 3_600_000 },
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
    expect(c.policy).toEqual({ approvers: ['U1', 'U2'], allowSelfApproval: true, ttlMs: 900_000 });
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
});
