import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { pinoLogger } from '../../src/observability/pino-logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';

/**
 * Issue 19, operations: what the server's log says, read as JSON lines from the real pino
 * logger while the playground is driven over HTTP. Every error carries its code, incident
 * and the person's command; the start-up summary says what is on and why.
 */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: pinoLogger(stream as never) };
}

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function start(env: Record<string, string>) {
  const { lines, logger } = capture();
  const full = { ...LocalTestEnv, ...env };
  const server = await startServer(loadConfig(full), logger, full);
  servers.push(server);
  return { server, lines };
}

/** The playground as a browser uses it: its CSRF token and cookie, then JSON posts. */
async function playground(server: RunningServer) {
  const page = await fetch(`${server.url}/`);
  const token = /<meta name="rdpfix-csrf" content="([^"]+)">/.exec(await page.text())?.[1] ?? '';
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url, cookie, 'x-rdpfix-csrf': token },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
}

test('start-up summary: Slack off naming the missing setting, Teams, web and Azure mode with reasons', async () => {
  const { lines } = await start({ SLACK_BOT_TOKEN: 'xoxb-only-half-of-slack' });
  const summary = lines.find((l) => l.msg === 'start-up summary: what is on and why');
  expect(summary).toMatchObject({
    level: 'info',
    slack: 'off: SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not; set both to turn Slack on',
    teams: expect.stringContaining('on without authentication (local mode'),
    web: expect.stringContaining('on without sign-in: the server listens on loopback'),
    azure: expect.stringMatching(
      /^local mode: no AZURE_SUBSCRIPTION_ID, the built-in ARM simulator at http:\/\/127\.0\.0\.1:\d+$/,
    ),
    database: 'memory',
  });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: 'setting incomplete',
      problem: expect.stringContaining('SLACK_SIGNING_SECRET is not'),
    }),
  );
  // No line is just "message": each says what happened.
  expect(lines.filter((l) => l.msg === 'message')).toEqual([]);
  // The bot token never reaches the log.
  expect(JSON.stringify(lines)).not.toContain('xoxb-only-half-of-slack');
});

test('a 403 on a step is logged with its code, the incident, the missing action and the command that sent it', async () => {
  const { server, lines } = await start({});
  const post = await playground(server);
  const opened = await post('/api/playground/command', { text: '/rdp-fix sim-forbidden' });
  const incidentId = String(opened.incidentId);
  await until('the diagnose card', async () => {
    const record = await server.runtime.store.get(incidentId);
    return record?.pending?.stepId === 'diagnose' ? record : undefined;
  });
  // As the card posts it: with the hash of the script it shows (an approval is bound to it).
  const scriptSha256 = (await server.runtime.engine.scriptOf(incidentId, 'diagnose'))?.sha256;
  await post('/api/playground/action', {
    incidentId,
    stepId: 'diagnose',
    attempt: 1,
    verb: 'approve',
    scriptSha256,
  });
  const failed = await until('the step failure in the log', () => lines.find((l) => l.msg === 'step failed'));
  expect(failed).toMatchObject({
    level: 'error',
    code: 'AZURE_FORBIDDEN',
    incident: incidentId,
    vm: 'rg-sim/sim-forbidden',
    step: 'diagnose',
    missingAction: 'Microsoft.Compute/virtualMachines/runCommands/write',
    command: 'approve diagnose',
    approvedBy: 'web:playground',
    requester: 'web:playground',
  });
});

test('a refused command is logged with its code and the command as typed', async () => {
  const { server, lines } = await start({});
  const post = await playground(server);
  await post('/api/playground/command', { text: '/rdp-fix no-such-vm --rg rg-sim' });
  expect(lines.find((l) => l.msg === 'command refused')).toMatchObject({
    level: 'warn',
    code: 'VM_NOT_FOUND',
    command: '/rdp-fix no-such-vm --rg rg-sim',
    user: 'web:playground',
    channel: 'web',
  });
});

test('the two-person rule with fewer than two approvers on an enabled platform is warned at start (review finding)', async () => {
  // Two Slack approvers satisfy the start-up rule; Teams (on in local mode) has none listed
  // and its requester approves alone, so its steps under the rule could never get a second.
  const { lines } = await start({ RDPFIX_APPROVERS: 'U_BOB,U_CAROL', RDPFIX_TWO_PERSON_RISK: 'restartsVm' });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: 'teams: fewer than two approvers are listed, so steps under the two-person rule wait until they expire',
      setting: 'RDPFIX_TEAMS_APPROVERS',
    }),
  );
  expect(lines.some((l) => String(l.msg).startsWith('slack: fewer than two'))).toBe(false);
});
