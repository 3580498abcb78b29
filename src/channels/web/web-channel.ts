import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Config } from '../../config';
import { ChatTexts, plain } from '../../conversation/chat-texts';
import type { Conversation } from '../../conversation/conversation';
import { PlaygroundAsker } from '../../conversation/inputs';
import type { IncidentReader } from '../../conversation/ports';
import type { Reply } from '../../conversation/replies';
import { parseCommand } from '../../core/parse-command';
import type { ChannelRef } from '../../core/types';
import type { Delivery, OutMessage } from '../../engine/messages';
import { buildExport, renderJson, renderMarkdown } from '../../transcripts/render-transcript';
import { csrfTokens } from './csrf-token';
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
import { checkAccess, webAccess } from './web-access';
import { html, json, readJson, send } from './web-responses';

export { type WebAccess, webAccess } from './web-access';

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

  const csrf = csrfTokens();

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
    const checked = checkAccess(access, config.web, req);
    if (!checked.ok)
      return send(
        res,
        checked.status,
        'application/json; charset=utf-8',
        JSON.stringify({ error: checked.error }),
        checked.challenge ? { 'www-authenticate': 'Bearer' } : {},
      );
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/playground') && !playground)
      return json(res, 404, { error: 'the playground runs in local mode only' });
    if (method === 'POST' && fromBrowser(req) && !csrf.check(req))
      return json(res, 403, { error: 'missing or stale CSRF token: reload the page' });
    if (method === 'GET' && path === '/') {
      if (playground) {
        const { token, setCookie } = csrf.forPage(req);
        return html(res, playgroundPage(token), setCookie ? { 'set-cookie': setCookie } : {});
      }
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

/**
 * A request a browser sent: it names its page's origin on every POST, and sends its cookies.
 * Only a browser can be made to post against its user's will, so its posts must carry the
 * page's CSRF token; a script with neither header (curl, a test) is no CSRF vector.
 */
function fromBrowser(req: IncomingMessage): boolean {
  return req.headers.origin !== undefined || req.headers.cookie !== undefined;
}
