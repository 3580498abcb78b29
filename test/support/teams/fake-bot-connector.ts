import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the fake Bot Connector received. */
export interface ConnectorCall {
  method: string;
  /** The conversation id, URL-decoded (`19:…@thread.tacv2;messageid=…`). */
  conversationId: string;
  /** The activity replied to (POST …/activities/{replyToId}) or updated (PUT …/activities/{id}). */
  activityId: string | undefined;
  body: Record<string, unknown>;
  authorization: string | undefined;
  id: string;
}

/**
 * A fake Bot Connector on loopback, used as the Activities' `serviceUrl`: accepts
 * `POST v3/conversations/{id}/activities[/{replyToId}]` and `PUT …/activities/{id}`, decodes
 * URL-encoded conversation ids, records everything and answers `{id}` as the service does.
 */
export class FakeBotConnector {
  readonly calls: ConnectorCall[] = [];
  /** Requests still to refuse: 429 with Retry-After: 1, then 503s. */
  throttled = 0;
  failures = 0;
  /** How many requests were refused. */
  refused = 0;
  private server: Server | undefined;
  private next = 1;
  url = '';

  /** Listens on `host` (loopback by default; another address plays an attacker's endpoint). */
  async start(host = '127.0.0.1'): Promise<string> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
      if (!m) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'NotFound', message: path } }));
        return;
      }
      if (this.throttled > 0 || this.failures > 0) {
        const throttled = this.throttled > 0;
        if (throttled) this.throttled--;
        else this.failures--;
        this.refused++;
        res
          .writeHead(throttled ? 429 : 503, {
            'content-type': 'application/json',
            ...(throttled ? { 'Retry-After': '1' } : {}),
          })
          .end(
            JSON.stringify({
              error: { code: throttled ? 'Throttled' : 'ServiceUnavailable', message: 'try later' },
            }),
          );
        return;
      }
      const id = req.method === 'PUT' ? decodeURIComponent(m[2] ?? '') : `activity-${this.next++}`;
      this.calls.push({
        method: req.method ?? '',
        conversationId: decodeURIComponent(m[1] ?? ''),
        activityId: m[2] ? decodeURIComponent(m[2]) : undefined,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        authorization: req.headers.authorization,
        id,
      });
      res
        .writeHead(req.method === 'PUT' ? 200 : 201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id }));
    });
    await new Promise<void>((r) => this.server!.listen(0, host, r));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}/`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/** A Teams channel message that @mentions the bot, as Teams sends it. */
export function channelMessage(
  serviceUrl: string,
  text: string,
  from = { aad: 'aad-alice', name: 'Alice' },
  locale = 'en-US',
) {
  return {
    type: 'message',
    id: `1700000000${Math.floor(Math.random() * 1000)}`,
    timestamp: new Date().toISOString(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: `29:${from.aad}`, name: from.name, aadObjectId: from.aad },
    conversation: {
      id: '19:ops@thread.tacv2;messageid=1700000000000',
      conversationType: 'channel',
      isGroup: true,
      tenantId: 'tenant-1',
    },
    recipient: { id: '28:rdp-fix-bot', name: 'rdp-fix' },
    text: `<at>rdp-fix</at> ${text}`,
    textFormat: 'plain',
    locale,
    entities: [
      { type: 'mention', text: '<at>rdp-fix</at>', mentioned: { id: '28:rdp-fix-bot', name: 'rdp-fix' } },
    ],
    channelData: {
      tenant: { id: 'tenant-1' },
      team: { id: '19:team@thread.tacv2' },
      channel: { id: '19:ops@thread.tacv2' },
    },
  };
}

/** An `adaptiveCard/action` invoke for an Action.Execute, as Teams sends it. */
export function cardAction(
  serviceUrl: string,
  verb: string,
  data: Record<string, unknown>,
  from = { aad: 'aad-bob', name: 'Bob' },
) {
  return {
    ...channelMessage(serviceUrl, '', from),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}
