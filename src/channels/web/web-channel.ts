import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Config } from '../../config';
import { ChatTexts, plain } from '../../conversation/chat-texts';
import type { Conversation } from '../../conversation/conversation';
import { PlaygroundAsker } from '../../conversation/inputs';
import type { IncidentReader } from '../../conversation/ports';
import type { Reply } from '../../conversation/replies';
import { isLoopbackHost } from '../../core/loopback';
import { parseCommand } from '../../core/parse-command';
import type { ChannelRef } from '../../core/types';
import type { Delivery, OutMessage } from '../../engine/messages';
import { buildExport, renderJson, renderMarkdown } from '../../transcripts/render-transcript';
import {
  dashboardPage,
  filterRecords,
  incidentsPage,
  type ListQuery,
  PageSize,
  stepSpans,
  timelinePage,
} from './pages';
import { playgroundPage } from './playground';

/** Whether the web pages may be served, and how people are checked. */
export type WebAccess =
  | { enabled: true; check: 'none' | 'token' | 'azure-auth' }
  | { enabled: false; reason: string };

/**
 * Loopback: no login (local mode). Any other address: a bearer token (RDPFIX_WEB_TOKEN) or
 * the identity header of Azure's built-in authentication (RDPFIX_WEB_AUTH=azure), else the
 * pages are not served: transcripts can hold sensitive output.
 */
export function webAccess(config: Pick<Config, 'host' | 'web'>): WebAccess {
  if (config.web.token) return { enabled: true, check: 'token' };
  if (config.web.azureAuth) return { enabled: true, check: 'azure-auth' };
  if (isLoopbackHost(config.host)) return { enabled: true, check: 'none' };
  return {
    enabled: false,
    reason: `the server listens on ${config.host}, not loopback: set RDPFIX_WEB_TOKEN or RDPFIX_WEB_AUTH=azure to serve the web pages`,
  };
}

const actionBody = z.object({
  incidentId: z.string().max(64),
  stepId: z.string().max(64),
  attempt: z.number().int().min(1).max(10_000),
  verb: z.enum(['approve', 'skip', 'abort', 'answer', 'showScript']),
  answer: z.string().max(64).optional(),
  /** The script hash the card showed (the playground's cards carry it like Slack's and Teams'). */
  scriptSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export interface WebChannel {
  /** Handles a request if it is one of the web routes; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  sink(delivery: Delivery): Promise<void>;
}

export interface WebDeps {
  conversation: Conversation;
  /** The review pages read incidents and transcripts. */
  incidents: IncidentReader;
  /** The playground acts as its own approver: only against the simulator, never real Azure. */
  playground: boolean;
}

/** The review pages, their JSON API, and the playground (a third channel of the engine). */
export function createWebChannel(deps: WebDeps, config: Pick<Config, 'host' | 'web'>): WebChannel {
  const { conversation, incidents, playground } = deps;
  const access = webAccess(config);
  const messages = new Map<string, OutMessage[]>();

  function allowed(req: IncomingMessage): boolean {
    if (!access.enabled) return false;
    if (access.check === 'none') return true;
    if (access.check === 'azure-auth') return typeof req.headers['x-ms-client-principal-name'] === 'string';
    const header = String(req.headers.authorization ?? '');
    const cookie = /(?:^|;\s*)rdpfix_token=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
    const given = header.startsWith('Bearer ') ? header.slice(7) : cookie ? decodeURIComponent(cookie) : '';
    const expected = Buffer.from(config.web.token ?? '');
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const isWeb =
      path === '/' ||
      path === '/dashboard' ||
      path.startsWith('/incidents') ||
      path.startsWith('/api/incidents') ||
      path.startsWith('/api/playground');
    if (!isWeb) return false;
    if (!access.enabled) {
      send(res, 404, 'text/plain', `The web pages are off: ${access.reason}.`);
      return true;
    }
    if (!allowed(req)) {
      send(res, 401, 'application/json', JSON.stringify({ error: 'unauthorised' }), {
        'www-authenticate': 'Bearer',
      });
      return true;
    }
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/playground') && !playground)
      return json(res, 404, { error: 'the playground runs in local mode only' });
    if (method === 'GET' && path === '/') {
      if (playground) return html(res, playgroundPage());
      res.writeHead(302, { location: '/incidents' }).end();
      return true;
    }
    if (method === 'GET' && (path === '/incidents' || path === '/api/incidents')) {
      const q: ListQuery = Object.fromEntries(url.searchParams) as ListQuery;
      const pageNo = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const candidates = await incidents.list({
        ...(q.status === 'open' || q.status === 'closed' ? { status: q.status } : {}),
        ...(q.vm ? { vmName: q.vm } : {}),
        ...(q.channel ? { channel: q.channel } : {}),
        limit: 5_000,
      });
      const matching = filterRecords(candidates, q);
      const shown = matching.slice((pageNo - 1) * PageSize, pageNo * PageSize);
      if (path === '/api/incidents')
        return json(res, 200, {
          incidents: shown.map(({ snapshot: _s, ...r }) => r),
          total: matching.length,
        });
      return html(res, incidentsPage(shown, { ...q, page: pageNo }, matching.length));
    }
    const transcript = /^\/api\/incidents\/([a-z0-9]{6,40})\/transcript$/.exec(path);
    const one = /^\/(?:api\/)?incidents\/([a-z0-9]{6,40})$/.exec(path);
    const id = transcript?.[1] ?? one?.[1];
    if (method === 'GET' && id) {
      const record = await incidents.get(id);
      if (!record) return json(res, 404, { error: `There is no incident ${id}.` });
      const x = buildExport(record, await incidents.transcript(id));
      if (transcript) {
        const format = url.searchParams.get('format') ?? 'json';
        if (format === 'md')
          return send(res, 200, 'text/markdown; charset=utf-8', renderMarkdown(x), {
            'content-disposition': `attachment; filename="rdp-fix-${id}.md"`,
          });
        if (format === 'json')
          return send(res, 200, 'application/json; charset=utf-8', renderJson(x), {
            'content-disposition': `attachment; filename="rdp-fix-${id}.json"`,
          });
        return json(res, 400, { error: 'format must be md or json' });
      }
      if (path.startsWith('/api/')) return json(res, 200, x);
      return html(res, timelinePage(x, record));
    }
    if (method === 'GET' && path === '/dashboard') {
      const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const records = (await incidents.list({ limit: 5_000 })).filter((r) => r.createdAt >= since);
      const waits: number[] = [];
      for (const r of records.slice(0, 500)) {
        for (const s of stepSpans(await incidents.transcript(r.id)))
          if (s.kind === 'wait') waits.push(s.end - s.start);
      }
      return html(res, dashboardPage(records, waits));
    }
    if (method === 'GET' && path === '/api/playground/messages') {
      const list = messages.get(url.searchParams.get('incident') ?? '') ?? [];
      const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0);
      return json(res, 200, { messages: list.slice(after), next: list.length });
    }
    if (method === 'POST' && path === '/api/playground/command') {
      const body = z.object({ text: z.string().max(600) }).safeParse(await readJson(req));
      if (!body.success) return json(res, 400, { error: 'expected {"text": "…"}' });
      const parsed = parseCommand(body.data.text.replace(/^\/rdp-fix\s*/, ''));
      // The playground starts incidents; for anything else it shows the help.
      const command =
        parsed.kind === 'start' || parsed.kind === 'invalid' ? parsed : ({ kind: 'help' } as const);
      const reply = await conversation.handleChat(command, PlaygroundAsker, Playground);
      return json(res, 200, replyBody(reply));
    }
    if (method === 'POST' && path === '/api/playground/action') {
      const body = actionBody.safeParse(await readJson(req));
      if (!body.success) return json(res, 400, { error: 'bad action' });
      const { verb, incidentId, stepId, attempt, answer, scriptSha256 } = body.data;
      const click = {
        verb,
        incidentId,
        stepId,
        attempt,
        ...(answer ? { answer } : {}),
        ...(scriptSha256 ? { scriptSha256 } : {}),
      };
      return json(res, 200, replyBody(await conversation.handleClick(click, PlaygroundAsker, Playground)));
    }
    return json(res, 404, { error: 'not found' });
  }

  async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'web') return;
    const list = messages.get(d.incidentId) ?? [];
    list.push(d.message);
    messages.set(d.incidentId, list);
  }

  return { handle, sink };
}

const Playground = { platform: 'web', channel: 'playground' } as const satisfies ChannelRef;

/** A reply as the playground's JSON: the new incident, or a text to show (the page is in English). */
function replyBody(reply: Reply): { incidentId?: string; text?: string } {
  switch (reply.kind) {
    case 'opened':
      return { incidentId: reply.incidentId };
    case 'help':
      return { text: (reply.problem ? `${reply.problem}\n` : '') + plain(ChatTexts.help.en) };
    case 'refusal':
    case 'text':
      return { text: reply.text.en };
    case 'script':
      return { text: reply.text };
    default:
      // Done; the playground asks for nothing that lists or exports.
      return {};
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): true {
  res.writeHead(status, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    // Inline script and style only, from this page; nothing from elsewhere.
    'content-security-policy':
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'",
    ...headers,
  });
  res.end(body);
  return true;
}

function html(res: ServerResponse, body: string): true {
  return send(res, 200, 'text/html; charset=utf-8', body);
}

function json(res: ServerResponse, status: number, body: unknown): true {
  return send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) return null;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
