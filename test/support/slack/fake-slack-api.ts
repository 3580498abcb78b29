import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call the fake received, with its form or JSON arguments decoded. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** The token the call carried (the `Authorization: Bearer` header, or the `token` argument). */
  token: string | undefined;
  /** What the fake answered (its `ts` for posted messages). */
  answer?: Record<string, unknown>;
}

/**
 * A fake Slack Web API on loopback (tests and benchmarks): answers like Slack (`{ok: true, ...}`), records every
 * call, decodes form-encoded bodies (blocks arrive JSON-stringified), serves the external
 * file-upload flow, and can answer 429 with Retry-After.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly uploads: string[] = [];
  /** Calls of a method still to refuse with 429 (Retry-After: 1). */
  readonly throttle = new Map<string, number>();
  /** Calls of a method still to fail with 503 (Slack having a bad moment). */
  readonly failures = new Map<string, number>();
  readonly locales = new Map<string, string>();
  /**
   * Socket Mode's link source (a `FakeSocketMode`): `apps.connections.open` answers with its next
   * one-time URL. Unset, the method fails as Slack does for a token that cannot open one.
   */
  socketMode: { nextUrl(): string } | undefined;
  /**
   * Calls to accept (answer computed, message stored) and then never answer: the platform
   * took the message but the sender died before it heard so (tests of the outbox).
   */
  holdAnswer: ((method: string, args: Record<string, unknown>) => boolean) | undefined;
  /** Told of each call answered with 200, just before the answer is written (benchmarks forward them). */
  onAnswer: ((call: SlackCall) => void) | undefined;
  /** Calls accepted and held by `holdAnswer`. */
  readonly held: SlackCall[] = [];
  /** Writes the answers of the held calls still open (`releaseHeld`). */
  private readonly heldAnswers: (() => void)[] = [];
  /** Messages posted, as Slack keeps them (ts, thread, text, metadata), for conversations.* reads. */
  readonly messages: FakeSlackMessage[] = [];
  private server: Server | undefined;
  private ts = 1_732_540_000;
  url = '';

  async start(): Promise<string> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/upload/')) {
        this.uploads.push(body);
        res.writeHead(200).end('OK');
        return;
      }
      const method = path.replace(/^\/api\//, '');
      const args = decode(body, String(req.headers['content-type'] ?? ''));
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
      const call: SlackCall = { method, args, at: Date.now(), token };
      this.calls.push(call);
      const failing = this.failures.get(method) ?? 0;
      if (failing > 0) {
        this.failures.set(method, failing - 1);
        res.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
        return;
      }
      const left = this.throttle.get(method) ?? 0;
      if (left > 0) {
        this.throttle.set(method, left - 1);
        res
          .writeHead(429, { 'Retry-After': '1', 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      call.answer = this.answer(method, args);
      if (this.holdAnswer?.(method, args)) {
        this.held.push(call);
        // stop() closes the connection, unless releaseHeld() answers first.
        this.heldAnswers.push(() =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(call.answer)),
        );
        return;
      }
      this.onAnswer?.(call);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(call.answer));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return `${this.url}/api/`;
  }

  /** Answers the held calls now, as Slack would have (a slow answer rather than a lost one). */
  releaseHeld(): void {
    for (const answer of this.heldAnswers.splice(0)) answer();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Calls of one method, optionally filtered. */
  of(method: string, where: (args: Record<string, unknown>) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === method && where(c.args));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const ts = `${++this.ts}.000100`;
    switch (method) {
      case 'chat.postMessage': {
        const message: FakeSlackMessage = {
          channel: String(args.channel),
          ts,
          text: String(args.text ?? ''),
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
          ...(args.metadata ? { metadata: args.metadata as FakeSlackMessage['metadata'] } : {}),
        };
        this.messages.push(message);
        return { ok: true, channel: args.channel, ts, message: { text: args.text, ts } };
      }
      // conversations.replies / .history (api.slack.com/methods/conversations.replies): newest
      // last for replies (the parent first), newest first for history; `metadata` only with
      // include_all_metadata=true, as Slack does.
      case 'conversations.replies': {
        const parent = String(args.ts);
        const thread = this.messages.filter(
          (m) => m.channel === args.channel && (m.ts === parent || m.thread_ts === parent),
        );
        return { ok: true, messages: thread.map((m) => shown(m, args)), has_more: false };
      }
      case 'conversations.history': {
        const top = this.messages.filter((m) => m.channel === args.channel && !m.thread_ts).reverse();
        const limit = Number(args.limit ?? 100);
        return {
          ok: true,
          messages: top.slice(0, limit).map((m) => shown(m, args)),
          has_more: top.length > limit,
        };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts };
      case 'users.info':
        return {
          ok: true,
          user: {
            id: args.user,
            name: String(args.user).toLowerCase(),
            locale: this.locales.get(String(args.user)) ?? 'en-US',
          },
        };
      case 'apps.connections.open':
        // Slack's answer (api.slack.com/methods/apps.connections.open): {ok, url: "wss://…/link/?ticket=…&app_id=…"}.
        return this.socketMode
          ? { ok: true, url: this.socketMode.nextUrl() }
          : { ok: false, error: 'invalid_auth' };
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', team_id: 'T1', bot_id: 'B1' };
      case 'files.getUploadURLExternal':
        return { ok: true, upload_url: `${this.url}/upload/F${ts}`, file_id: `F${ts}` };
      case 'files.completeUploadExternal':
        return {
          ok: true,
          files: (JSON.parse(String(args.files ?? '[]')) as { id: string }[]).map((f) => ({ id: f.id })),
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** A message Slack keeps, as conversations.* list it. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

function shown(m: FakeSlackMessage, args: Record<string, unknown>): Record<string, unknown> {
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
  const { channel: _channel, metadata, ...rest } = m;
  return { type: 'message', ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}

function decode(body: string, type: string): Record<string, unknown> {
  if (!body) return {};
  if (type.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    // The Web API client JSON-stringifies object arguments in a form body (blocks, metadata).
    out[k] = k === 'blocks' || k === 'attachments' || k === 'metadata' ? JSON.parse(v) : v;
  }
  return out;
}
