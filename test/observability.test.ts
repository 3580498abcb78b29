import { Writable } from 'node:stream';
import { loadConfig } from '../src/config';
import { pinoLogger } from '../src/observability/pino-logger';
import { startServer } from '../src/server';
import { LocalTestEnv } from './helpers/local-env';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: pinoLogger(stream as never) };
}

test('/healthz, /readyz and /metrics after an incident; secrets never reach the logs', async () => {
  const { lines, logger } = capture();
  const server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      SLACK_SIGNING_SECRET: 'signing-secret-value-123',
      SLACK_BOT_TOKEN: 'xoxb-bot-token-value-456',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
    }),
    logger,
  );
  try {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      checks: {
        store: { ok: true },
        azure: { ok: true },
        channels: { ok: true, detail: 'slack, teams, playground' },
      },
    });

    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const { incidentId } = (await post('/api/playground/command', { text: '/rdp-fix sim-healthy' })) as {
      incidentId: string;
    };
    await server.runtime.engine.idle();
    // As the playground page posts a click: with the script hash its card carries.
    const { messages } = (await (
      await fetch(`${server.url}/api/playground/messages?incident=${incidentId}`)
    ).json()) as { messages: { kind: string; scriptSha256?: string }[] };
    const { scriptSha256 } = messages.find((m) => m.kind === 'stepCard')!;
    const approve = { incidentId, stepId: 'diagnose', attempt: 1, verb: 'approve', scriptSha256 };
    await post('/api/playground/action', approve);
    await post('/api/playground/action', approve); // refused: already approved
    await server.runtime.engine.idle();
    await post('/api/playground/action', {
      incidentId,
      stepId: 'no-cause-found',
      attempt: 1,
      verb: 'answer',
      answer: 'rdp-works',
    });
    await server.runtime.engine.idle();

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/rdpfix_step_duration_seconds_count\{kind="runCommand",outcome="ok"\} 1/);
    expect(metrics).toMatch(/rdpfix_approval_wait_seconds_count 2/);
    expect(metrics).toMatch(/rdpfix_errors_total\{code="STEP_NOT_CURRENT"\} 1/);
    // Counted from the engine's hooks, not by reading the incidents at scrape time.
    expect(metrics).toMatch(/rdpfix_incidents_opened_total 1/);
    expect(metrics).toMatch(/rdpfix_incidents_closed_total\{outcome="resolved"\} 1/);
    expect(metrics).toMatch(/rdpfix_incidents_open 0/);
    expect(metrics).toMatch(/rdpfix_outgoing_messages_in_flight 0/);
    // Everything delivered: the outbox is empty; every transition's save was timed.
    expect(metrics).toMatch(/rdpfix_outbox_depth 0/);
    expect(metrics).toMatch(/rdpfix_transition_save_seconds_count [1-9]\d*/);
  } finally {
    await server.close();
  }
  logger.info('a careless caller', { token: 'xoxb-should-not-appear', nested: { clientSecret: 'nor-this' } });
  const all = lines.join('\n');
  expect(all).toContain('"msg":"a careless caller"');
  for (const secret of [
    'signing-secret-value-123',
    'xoxb-bot-token-value-456',
    'xoxb-should-not-appear',
    'nor-this',
  ]) {
    expect(all).not.toContain(secret);
  }
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({
    token: '[redacted]',
    nested: { clientSecret: '[redacted]' },
    service: 'rdp-fix',
  });
});
