import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the app sent back over the socket for one envelope (Socket Mode's ack). */
export interface SocketModeAck {
  envelope_id: string;
  /** The ack's response payload: `{}` for a plain ack, a message for an answer in the ack. */
  payload: Record<string, unknown> | undefined;
  /** Which connection (index in `connections`) carried it. */
  connection: number;
}

/** One WebSocket connection the app opened with a ticket from `apps.connections.open`. */
export interface SocketModeConnection {
  ticket: string;
  socket: WebSocket;
  /** Set when the connection ended, with the close code the fake saw. */
  closed: { code: number } | undefined;
}

/** The envelope types Slack sends over Socket Mode that carry a payload to ack. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/**
 * A fake of Slack's Socket Mode WebSocket endpoint on loopback, for tests: hands out one-time
 * links (what `apps.connections.open` returns, see `FakeSlack.socketMode`), greets each
 * connection with `hello`, sends envelopes, records the app's acks, and recycles a connection
 * the way Slack does (a `disconnect` message, then the socket closes).
 *
 * Wire shapes, as Slack sends them:
 * - `hello`: Slack's "Socket Mode" docs (api.slack.com/apis/connections/socket-implement) and
 *   slack-morphism's `SlackSocketModeHelloEvent` (`num_connections`, `debug_info`,
 *   `connection_info.app_id`);
 * - envelopes `{envelope_id, payload, type, accepts_response_payload}`: captured ones in
 *   slackapi/node-slack-sdk packages/socket-mode/src/SocketModeClient.test.ts;
 * - acks `{envelope_id, payload}`: `SocketModeClient.send()` in the same package;
 * - `disconnect` `{type, reason, debug_info}` with reason `warning` / `refresh_requested`:
 *   Slack's Socket Mode docs, and node-slack-sdk test/integrations/integration.test.js.
 */
export class FakeSocketMode {
  readonly acks: SocketModeAck[] = [];
  readonly connections: SocketModeConnection[] = [];
  /** Links handed out and not yet used: a ticket works once, like Slack's. */
  private readonly tickets = new Set<string>();
  private server: WebSocketServer | undefined;
  private issued = 0;
  private port = 0;

  async start(): Promise<void> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      // A used or unknown ticket is refused, so a reconnect must fetch a new link first.
      verifyClient: (info, done) => {
        const ticket = new URL(info.req.url ?? '/', 'ws://x').searchParams.get('ticket') ?? '';
        if (!this.tickets.delete(ticket)) return done(false, 401, 'invalid ticket');
        done(true);
      },
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.port = (server.address() as AddressInfo).port;
    server.on('connection', (socket, req) => {
      const ticket = new URL(req.url ?? '/', 'ws://x').searchParams.get('ticket') ?? '';
      const connection: SocketModeConnection = { ticket, socket, closed: undefined };
      const index = this.connections.push(connection) - 1;
      socket.on('message', (data, isBinary) => {
        if (isBinary) return;
        const message = JSON.parse(data.toString()) as {
          envelope_id?: string;
          payload?: Record<string, unknown>;
        };
        if (message.envelope_id)
          this.acks.push({ envelope_id: message.envelope_id, payload: message.payload, connection: index });
      });
      socket.on('close', (code) => {
        connection.closed = { code };
      });
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.connections.filter((c) => !c.closed).length,
          debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: 'A1' },
        }),
      );
    });
  }

  /** A new one-time link, as `apps.connections.open` answers it (Slack's are `wss://`). */
  nextUrl(): string {
    const ticket = `t${++this.issued}`;
    this.tickets.add(ticket);
    return `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=A1`;
  }

  /** The newest connection still open. */
  current(): SocketModeConnection | undefined {
    return this.connections.filter((c) => !c.closed && c.socket.readyState === c.socket.OPEN).at(-1);
  }

  /** Sends an envelope on the newest open connection; returns its `envelope_id`. */
  send(type: EnvelopeType, payload: Record<string, unknown>): string {
    const connection = this.current();
    if (!connection) throw new Error('no open Socket Mode connection');
    const envelopeId = randomUUID();
    connection.socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        payload,
        type,
        // Slash commands and some interactions may be answered in the ack; block_actions may not.
        accepts_response_payload: type === 'slash_commands',
      }),
    );
    return envelopeId;
  }

  /** Recycles the newest connection as Slack does: a `disconnect` message, then the socket closes. */
  disconnect(reason: 'warning' | 'refresh_requested'): void {
    const connection = this.current();
    if (!connection) throw new Error('no open Socket Mode connection');
    connection.socket.send(
      JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } }),
    );
    connection.socket.close(1001, reason);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
