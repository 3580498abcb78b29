import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import type { SimulatedWindowsVm } from '../../src/simulator/windows-vm';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { FakeSlack } from '../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../support/slack/slack-requests';

/**
 * Issue 17 item 8 (redaction): a VM whose scripts print secrets — in the output around the
 * result line, and inside the parsed result's `data`, `log` and `error` — through the real
 * server (Slack, the engine, the real Azure SDK against the simulator). None of the secrets
 * may reach the transcript (store and HTTP export), the stored incident, or any Slack message.
 */
const Secrets = [
  'password: Hunter2colon',
  'ConvertTo-SecureString "Pa55SecureStr" -AsPlainText -Force',
  'xapp-1-A0123456789-1234567890123-abcdef0123456789',
  'ghp_0123456789abcdefghijABCDEFGHIJ012345',
  'AKIAIOSFODNN7EXAMPLE',
  'clientSecret: csValue123',
  'client_secret=csEq456',
];
/** The secret part of each line above: what must appear nowhere. */
const Values = [
  'Hunter2colon',
  'Pa55SecureStr',
  'xapp-1-A0123456789',
  'ghp_0123456789abcdef',
  'AKIAIOSFODNN7EXAMPLE',
  'csValue123',
  'csEq456',
  'Hunter2key',
];

let slack: FakeSlack;
let server: RunningServer;

afterEach(async () => {
  await server?.close();
  await slack?.stop();
});

/**
 * The simulated VM, its scripts' output salted with secrets: lines before the result, and in
 * the result a secret-bearing program name (said in chat), a note, a secret-named key, the log
 * path and (when `fail`) the error message.
 */
function leakSecrets(vm: SimulatedWindowsVm, fail: boolean): void {
  const run = vm.run.bind(vm);
  vm.run = (script, params) => {
    const out = run(script, params);
    const marker = 'RDPFIX-RESULT: ';
    const at = out.stdout.indexOf(marker);
    if (at < 0) return out;
    const result = JSON.parse(out.stdout.slice(at + marker.length)) as Record<string, unknown>;
    const data = (result.data ?? {}) as Record<string, unknown>;
    const listener = (data.listener ?? { pid: 1048, services: ['TermService'] }) as Record<string, unknown>;
    const salted = {
      ...result,
      ...(fail ? { ok: false, error: `Access denied: ${Secrets.join(' | ')}` } : {}),
      log: `${String(result.log)} ${Secrets[2]}`,
      data: {
        ...data,
        listener: { ...listener, process: `svchost ${Secrets.join(' | ')}` },
        note: Secrets.join(' | '),
        credentials: { password: 'Hunter2key' },
      },
    };
    return { ...out, stdout: `${Secrets.join('\n')}\n${marker}${JSON.stringify(salted)}\n` };
  };
}

async function post(body: string) {
  return fetch(`${server.url}/slack/events`, { method: 'POST', headers: signed(body), body });
}

test('secrets a VM prints reach neither the transcript nor any chat message', async () => {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
    }),
    silentLogger,
  );
  const simulator = server.runtime.simulator!;
  simulator.addVm({ name: 'sim-leaky-fail', resourceGroup: 'rg-sim', scenario: 'sim-healthy' });
  leakSecrets(simulator.windowsVm('rg-sim', 'sim-healthy')!, false);
  leakSecrets(simulator.windowsVm('rg-sim', 'sim-leaky-fail')!, true);

  for (const vm of ['sim-healthy', 'sim-leaky-fail']) {
    await post(slashCommand(vm));
    const card = await until(`the diagnosis card of ${vm}`, () =>
      slack
        .of('chat.postMessage', (a) => JSON.stringify(a.blocks ?? '').includes('rdpfix_approve'))
        .find((c) => !slack.of('chat.update').some((u) => u.args.ts === c.answer?.ts)),
    );
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const approve = blocks
      .find((b) => b.type === 'actions')
      ?.elements?.find((e) => e.action_id === 'rdpfix_approve');
    await post(buttonClick('rdpfix_approve', approve!.value));
    await until(`the diagnosis of ${vm} to end`, () =>
      slack.of('chat.update', (a) => /succeeded|failed/.test(String(a.text))).length >=
      (vm === 'sim-healthy' ? 1 : 2)
        ? true
        : undefined,
    );
  }

  const incidents = await server.runtime.store.list();
  expect(incidents).toHaveLength(2);
  const kept: string[] = [JSON.stringify(slack.calls.map((c) => c.args))];
  for (const incident of incidents) {
    kept.push(JSON.stringify(await server.runtime.store.transcript(incident.id)));
    kept.push(JSON.stringify(await server.runtime.store.get(incident.id)));
    for (const format of ['json', 'md']) {
      const res = await fetch(`${server.url}/api/incidents/${incident.id}/transcript?format=${format}`);
      expect(res.status).toBe(200);
      kept.push(await res.text());
    }
  }
  const all = kept.join('\n');
  // Not vacuous: the salted output was stored and said, redacted.
  expect(all).toContain('[redacted');
  expect(all).toContain('Access denied');
  expect(Values.filter((secret) => all.includes(secret))).toEqual([]);
});
