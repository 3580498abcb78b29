import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { pinoLogger } from '../../src/observability/pino-logger';
import { readScript } from '../../src/playbook/script-includes';
import { type RunningServer, startServer } from '../../src/server';
import { playbookDir } from '../helpers/engine-harness';
import { until } from '../helpers/until';
import { FakeSlack } from '../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../support/slack/slack-requests';

/**
 * Cross-cutting security checks on the real server: what people type reaches a VM only as
 * validated Run Command parameters, never in script text; secrets never reach the logs or
 * the database. (Signatures, Teams authentication, unauthorised and self-approvals and
 * tampered transcripts are covered in the channel, engine, web and store suites.)
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BotToken = 'xoxb-0000000000-secret-bot-token-value';
const TeamsSecret = 'teams-client-secret-value-0123';

test('hostile input through every field: refused, or passed only as a Run Command parameter; no secret in logs or database', async () => {
  const lines: string[] = [];
  const logger = pinoLogger(
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }) as never,
  );
  const slack = new FakeSlack();
  const apiUrl = await slack.start();
  const db = join(dir, 'security.db');
  let server: RunningServer | undefined;
  try {
    server = await startServer(
      loadConfig({
        PORT: '0',
        DATABASE_URL: `sqlite:${db}`,
        RDPFIX_SIM_LATENCY_SCALE: '0',
        RDPFIX_POLL_INTERVAL_MS: '5',
        RDPFIX_APPROVERS: 'U_BOB',
        SLACK_SIGNING_SECRET: SigningSecret,
        SLACK_BOT_TOKEN: BotToken,
        SLACK_API_URL: apiUrl,
        clientSecret: TeamsSecret,
      }),
      logger,
    );
    const post = (body: string) =>
      fetch(`${server!.url}/slack/events`, { method: 'POST', headers: signed(body), body }).then((r) =>
        r.text(),
      );

    // Hostile VM names and resource groups never open an incident.
    for (const text of [
      'vm$(Restart-Computer)',
      'vm --rg "rg;Remove-Item C:\\\\"',
      "vm' -Force",
      'vm`whoami`',
    ]) {
      expect(await post(slashCommand(text))).toMatch(/not a valid|unknown option/);
    }
    expect(await server.runtime.store.list()).toHaveLength(0);

    // A real incident where a person can set parameters (the port, the service name).
    await post(slashCommand('sim-port-unstoppable'));
    const cardFor = (step: string) =>
      until(`the ${step} card`, () => {
        const call = slack
          .of('chat.postMessage', (a) => JSON.stringify(a.blocks ?? '').includes(`rdpfix_${step}_`))
          .at(-1);
        const actions = (
          call?.args.blocks as
            | { type: string; elements?: { action_id: string; value: string }[] }[]
            | undefined
        )?.find((b) => b.type === 'actions');
        return actions?.elements?.find((e) => e.action_id === 'rdpfix_approve');
      });
    // The owner cannot be stopped (AcceptStop false): no free-rdp-port, straight to the port change.
    for (const step of ['diagnose', 'check-rdp-security', 'snapshot-os-disk']) {
      const approve = await cardFor(step);
      await post(buttonClick(approve.action_id, approve.value));
      await server.runtime.engine.idle();
    }
    // Forged button values carrying parameters are not accepted: parameters come from the card only.
    const change = await cardFor('change-rdp-port');
    const forged = JSON.stringify({ ...JSON.parse(change.value), p: { Port: '3390; Stop-Computer' } });
    await post(buttonClick(change.action_id, forged));
    await post(buttonClick(change.action_id, change.value));
    // Slack gets its ack before the click is handled (slack-channel.ts ackFirst): the engine has
    // nothing to be idle about until the approval reaches it, so wait for the run it starts.
    await until('the port change run', () =>
      server!.runtime
        .simulator!.scriptDispatches()
        .find((d) => d.text.startsWith('# rdp-fix-step: change-rdp-port')),
    );
    await server.runtime.engine.idle();

    // Every script Azure received is byte-for-byte the playbook file (its lib/ includes spliced in); values travel as parameters.
    const runCommands = server.runtime.simulator!.scriptDispatches();
    expect(runCommands.length).toBe(2); // diagnose, change-rdp-port
    for (const dispatch of runCommands) {
      const name = dispatch.text.split('\n')[0]!.replace('# rdp-fix-step: ', '');
      expect(dispatch.text).toBe(readScript(join(playbookDir, 'scripts'), `${name}.ps1`));
      for (const p of dispatch.params) expect(p.value).toMatch(/^[A-Za-z0-9_.,-]*$/);
    }
    // The port a person approved, and the incident id the engine adds itself (never from a request).
    const [incident] = await server.runtime.store.list();
    expect(runCommands.map((r) => r.params)).toContainEqual([
      { name: 'Port', value: '3390' },
      { name: 'IncidentId', value: incident!.id },
    ]);
  } finally {
    await server?.close();
    await slack.stop();
  }
  const everything = lines.join('') + readFileSync(db).toString('latin1');
  for (const secret of [BotToken, SigningSecret, TeamsSecret]) expect(everything).not.toContain(secret);
  expect(lines.length).toBeGreaterThan(3);
}, 60_000);
