import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncidentResource } from '../../azure/rescue/rescue-operations';
import type { Config } from '../../config';
import type { Conversation } from '../../conversation/conversation';
import type { IncidentReader, IncidentRecord } from '../../conversation/ports';
import { messageOf } from '../../core/errors';
import type { Delivery } from '../../engine/messages';
import { buildExport, renderJson, renderMarkdown } from '../../transcripts/render-transcript';
import type { ResourcesNow } from './azure-resources';
import { type CauseNames, causeNamesOf, type PlaybookLookup } from './cause-names';
import { csrfTokens } from './csrf-token';
import { dashboardPage, filterRecords, incidentsPage, type ListQuery, PageSize } from './pages';
import { playgroundPage } from './playground';
import { handlePlayground } from './playground-api';
import { PlaygroundMessages } from './playground-messages';
import { scriptPage } from './script-page';
import { stepSpans, timelinePage } from './timeline-page';
import { checkAccess, webAccess } from './web-access';
import { html, json, send } from './web-responses';

export { type WebAccess, webAccess } from './web-access';

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
  /** The loaded playbooks: cause names and scripts for the pages. */
  playbooks?: PlaybookLookup;
  /** Puts the simulated VMs back as their scenarios start (local mode only). */
  resetVms?: () => number;
  /** With the offline repair on: what Azure holds for an incident now (by its tag), for its page. */
  azureResources?: (record: IncidentRecord) => Promise<IncidentResource[]>;
}

/** The review pages, their JSON API, and the playground (a third channel of the engine). */
export function createWebChannel(deps: WebDeps, config: Pick<Config, 'host' | 'web'>): WebChannel {
  const { conversation, incidents, playground } = deps;
  const access = webAccess(config);
  const messages = new PlaygroundMessages(incidents);
  const names: CauseNames = causeNamesOf(deps.playbooks);

  const csrf = csrfTokens();

  /** Read when the page is shown; Azure's refusal is said on the page, not turned into an error page. */
  async function resourcesOf(record: IncidentRecord): Promise<ResourcesNow | undefined> {
    if (!deps.azureResources) return undefined;
    try {
      return { list: await deps.azureResources(record) };
    } catch (err) {
      return { error: messageOf(err) };
    }
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
        return html(
          res,
          playgroundPage(token, deps.resetVms !== undefined),
          setCookie ? { 'set-cookie': setCookie } : {},
        );
      }
      res.writeHead(302, { location: '/incidents' }).end();
      return true;
    }
    if (method === 'GET' && (path === '/incidents' || path === '/api/incidents')) {
      const q: ListQuery = Object.fromEntries(url.searchParams) as ListQuery;
      const pageNo = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      // VM, channel and cause match loosely (part of a name, any case), so they are filtered here.
      const candidates = await incidents.list({
        ...(q.status === 'open' || q.status === 'closed' ? { status: q.status } : {}),
        limit: 5_000,
      });
      const matching = filterRecords(candidates, q, names);
      const shown = matching.slice((pageNo - 1) * PageSize, pageNo * PageSize);
      if (path === '/api/incidents')
        return json(res, 200, {
          incidents: shown.map(({ snapshot: _s, ...r }) => r),
          total: matching.length,
        });
      return html(res, incidentsPage(shown, { ...q, page: pageNo }, matching.length, names));
    }
    const script = /^\/incidents\/([a-z0-9]{6,40})\/scripts\/([A-Za-z0-9_.-]{1,100})$/.exec(path);
    if (method === 'GET' && script) {
      const record = await incidents.get(script[1]!);
      if (!record) return json(res, 404, { error: `There is no incident ${script[1]}.` });
      const shown = scriptPage(record, await incidents.transcript(record.id), script[2]!, deps.playbooks);
      return shown ? html(res, shown) : json(res, 404, { error: 'no such script in this incident' });
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
      return html(res, timelinePage(x, record, names, deps.playbooks, new Date(), await resourcesOf(record)));
    }
    if (method === 'GET' && path === '/dashboard') {
      const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const records = (await incidents.list({ limit: 5_000 })).filter((r) => r.createdAt >= since);
      const waits: number[] = [];
      for (const r of records.slice(0, 500)) {
        for (const s of stepSpans(await incidents.transcript(r.id)))
          if (s.kind === 'wait') waits.push(s.end - s.start);
      }
      return html(res, dashboardPage(records, waits, names));
    }
    if (path.startsWith('/api/playground/')) {
      const api = {
        conversation,
        incidents,
        messages,
        ...(deps.resetVms ? { resetVms: deps.resetVms } : {}),
      };
      if (await handlePlayground(api, req, res, url)) return true;
    }
    return json(res, 404, { error: 'not found' });
  }

  async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'web') return;
    await messages.add(d);
  }

  return { handle, sink };
}

/**
 * A request a browser sent: it names its page's origin on every POST, and sends its cookies.
 * Only a browser can be made to post against its user's will, so its posts must carry the
 * page's CSRF token; a script with neither header (curl, a test) is no CSRF vector.
 */
function fromBrowser(req: IncomingMessage): boolean {
  return req.headers.origin !== undefined || req.headers.cookie !== undefined;
}
