import { Writable } from 'node:stream';
import type { Logger } from '../../../src/core/logger';
import { pinoLogger } from '../../../src/observability/pino-logger';
import type { ConnectorCall, FakeBotConnector } from './fake-bot-connector';

/** POSTs an Activity to a running server's /api/messages, unauthenticated; the JSON answer if any. */
export async function postActivity(serverUrl: string, activity: unknown) {
  const res = await fetch(`${serverUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** The server's real (pino) logger writing into an array, for tests that read its lines. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pinoLogger(
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }) as never,
  );
  return { logger, lines };
}

export type CardAction = { type: string; verb: string; data: Record<string, unknown> };

/** The newest card the fake connector received that still carries its actions (no PUT yet). */
export function openCard(
  connector: FakeBotConnector,
): { call: ConnectorCall; actions: CardAction[] } | undefined {
  const updated = new Set(connector.calls.filter((c) => c.method === 'PUT').map((c) => c.activityId));
  for (const call of [...connector.calls].reverse()) {
    const attachments = call.body.attachments as { content: { actions?: CardAction[] } }[] | undefined;
    if (call.method === 'POST' && attachments?.[0]?.content.actions && !updated.has(call.id))
      return { call, actions: attachments[0].content.actions };
  }
  return undefined;
}
