import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackChannel } from './channels/slack/slack-channel';
import { teamsMode } from './channels/teams/teams-auth';
import { createTeamsChannel } from './channels/teams/teams-channel';
import { createWebChannel, webAccess } from './channels/web/web-channel';
import type { Config } from './config';
import { messageOf } from './core/errors';
import type { Logger } from './core/logger';
import type { Delivery, MessageSink } from './engine/messages';
import { startMetricsServer } from './http/metrics-server';
import { requestGuard } from './http/request-guards';
import { pinoLogger } from './observability/pino-logger';
import { startupSummary } from './observability/startup-summary';
import { conversationOf, createRuntime, type Runtime } from './runtime';
import { settleMemoryWhenQuiet } from './settle-memory';

export interface RunningServer {
  url: string;
  /** Where `/metrics` is served when RDPFIX_METRICS_PORT is set (else at `url`). */
  metricsUrl: string | undefined;
  runtime: Runtime;
  close(): Promise<void>;
}

/**
 * Starts the rdp-fix server: the runtime (store, Azure or the simulator, engine) behind one
 * HTTP port. Channels register their routes here as they are added.
 */
export async function startServer(
  config: Config,
  logger: Logger = pinoLogger(),
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  // Channels need the engine and the engine needs their sinks: bind them after creation.
  const sinks: MessageSink[] = [];
  const sink = async (d: Delivery) => {
    logger.info('delivering chat message', {
      incident: d.incidentId,
      channel: d.channel.platform,
      kind: d.message.kind,
    });
    for (const s of sinks) await s(d);
  };
  const runtime = await createRuntime(config, sink, logger);
  // After a burst, V8 keeps the burst's memory until long after it ended (settle-memory.ts).
  const settler = settleMemoryWhenQuiet({
    onSettled: ({ rssBefore, rssAfter, ms }) =>
      logger.info('memory given back after a busy period', {
        rssMbBefore: Math.round(rssBefore / 1_048_576),
        rssMbAfter: Math.round(rssAfter / 1_048_576),
        pauseMs: Math.round(ms),
      }),
  });
  // Every channel talks to the same conversation core; their message handles live in the store.
  const conversation = conversationOf(runtime, config, logger);
  const deps = { conversation, refs: runtime.store };
  const slack = config.slack
    ? createSlackChannel(
        deps,
        { ...config.slack, defaultLocale: config.locale, publicUrl: config.publicUrl },
        logger,
      )
    : undefined;
  if (slack) {
    sinks.push(slack.sink);
    await slack.start();
    logger.info('slack enabled', {
      endpoint: '/slack/events',
      socketMode: Boolean(config.slack?.appToken),
      api: config.slack?.apiUrl ?? 'https://slack.com/api/',
    });
  }
  const teamsAuth = teamsMode(config);
  const localMode = runtime.simulator !== undefined;
  const teams =
    teamsAuth.kind === 'off'
      ? undefined
      : createTeamsChannel(
          deps,
          { ...config.teams, defaultLocale: config.locale, allowLoopbackServiceUrl: localMode },
          logger,
        );
  if (teams) sinks.push(teams.sink);
  if (teamsAuth.kind === 'off') logger.error('teams off', { reason: teamsAuth.reason });
  if (teamsAuth.kind === 'anonymous')
    logger.warn('teams requests are not authenticated', {
      because: teamsAuth.because,
      detail: 'anyone who reaches this loopback port can act as any Teams user; set clientId for real use',
    });
  if (teamsAuth.kind === 'authenticated' && !config.teams.tenantId)
    logger.warn('teams: no tenantId is set, so Teams users of any tenant can reach the bot');
  warnUnapprovable(config, { slack: Boolean(slack), teams: Boolean(teams) }, logger);
  const access = webAccess(config);
  if (!access.enabled) logger.error('web pages off', { reason: access.reason });
  const web = createWebChannel(
    {
      conversation,
      incidents: runtime.store,
      playground: runtime.simulator !== undefined,
      playbooks: (id) => runtime.playbooks.find((p) => p.id === id),
      ...(runtime.resetSimulatedVms ? { resetVms: runtime.resetSimulatedVms } : {}),
      ...(runtime.incidentResources ? { azureResources: runtime.incidentResources } : {}),
    },
    config,
  );
  sinks.push(web.sink);
  const channels = [
    ...(slack ? ['slack'] : []),
    ...(teams ? ['teams'] : []),
    ...(access.enabled && runtime.simulator ? ['playground'] : []),
  ];
  const metricsServer =
    config.metrics.port === undefined ? undefined : await startMetricsServer(runtime.metrics, config, logger);
  const guard = requestGuard(config);
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0] ?? '/';
    // Once, before any channel: the Host (DNS rebinding), and JSON with no foreign Origin on posts (CSRF).
    const refused = guard(req, path);
    if (refused) {
      res.writeHead(refused.status, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
      });
      res.end(refused.message);
      req.resume();
      return;
    }
    if (slack && path === '/slack/events') return slack.handle(req, res);
    if (teams && path === '/api/messages' && req.method === 'POST') {
      teams.handle(req, res).catch((err: unknown) => {
        logger.error('teams request failed', { error: messageOf(err) });
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
      });
      return;
    }
    web
      .handle(req, res)
      .then((handled) => (handled ? undefined : route(runtime, channels, !metricsServer, req, res)))
      .catch((err: unknown) => {
        logger.error('request failed', {
          path: req.url,
          error: messageOf(err),
        });
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info('rdp-fix listening', {
    url,
    database: config.database.kind,
    localMode: runtime.simulator !== undefined,
  });
  // One line that says what is on and why, so a setting left half-done is not silent.
  const summary = startupSummary(
    config,
    { teams: teamsAuth, web: access, simulatorUrl: runtime.simulator?.url },
    env,
  );
  const { problems, ...parts } = summary;
  logger.info('start-up summary: what is on and why', { url, ...parts });
  for (const problem of problems) logger.warn('setting incomplete', { problem });
  if (runtime.simulator && access.enabled)
    logger.info(`open ${url}/ for the playground, ${url}/incidents to review`);
  return {
    url,
    metricsUrl: metricsServer?.url,
    runtime,
    async close() {
      settler.stop();
      // One grace for both: the replies after the acks already sent, then the engine's work.
      const deadline = Date.now() + config.replica.shutdownGraceMs;
      await stopHttp(server);
      await metricsServer?.close();
      await slack?.stop(Math.max(0, deadline - Date.now()));
      await runtime.close(Math.max(0, deadline - Date.now()));
    },
  };
}

/** A chat platform that is on but whose incidents nobody may approve (fails closed): said at start. */
function warnUnapprovable(config: Config, on: { slack: boolean; teams: boolean }, logger: Logger): void {
  const settings = { slack: 'RDPFIX_APPROVERS', teams: 'RDPFIX_TEAMS_APPROVERS' } as const;
  for (const platform of ['slack', 'teams'] as const) {
    if (
      on[platform] &&
      config.policy.approvers[platform].length === 0 &&
      !config.policy.selfApprovalWhenUnlisted
    )
      logger.warn(`${platform}: no approver is listed, so no step of its incidents can be approved`, {
        setting: settings[platform],
      });
    // The two-person rule needs two different approvers on the incident's own platform.
    else if (
      on[platform] &&
      (config.policy.twoPersonRisks?.length ?? 0) > 0 &&
      config.policy.approvers[platform].length < 2
    )
      logger.warn(
        `${platform}: fewer than two approvers are listed, so steps under the two-person rule wait until they expire`,
        { setting: settings[platform], twoPersonRisks: config.policy.twoPersonRisks },
      );
  }
}

/** Ready: the store answers, Azure (or the simulator) answers, and at least one channel is on. */
async function readiness(
  runtime: Runtime,
  channels: string[],
): Promise<Record<string, { ok: boolean; detail?: string }>> {
  const check = async (work: () => Promise<unknown>) => {
    try {
      await work();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: messageOf(err) };
    }
  };
  return {
    store: await check(() => runtime.store.list({ limit: 1 })),
    // A name no VM has: the call proves the credential and the endpoint, and finds nothing.
    azure: await check(() => runtime.vm.resolveVm('rdpfix-readyz-probe')),
    channels: channels.length
      ? { ok: true, detail: channels.join(', ') }
      : { ok: false, detail: 'no chat channel is configured' },
  };
}

/** What no channel serves: health, readiness and metrics (unless they have a port of their own). */
async function route(
  runtime: Runtime,
  channels: string[],
  metricsHere: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method === 'GET' && url.pathname === '/healthz') return json(res, 200, { ok: true });
  // Browsers ask for it on every page: no icon, and no 404 in their console.
  if (req.method === 'GET' && url.pathname === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && url.pathname === '/readyz') {
    const checks = await readiness(runtime, channels);
    return json(res, Object.values(checks).every((c) => c.ok) ? 200 : 503, { checks });
  }
  if (metricsHere && req.method === 'GET' && url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': runtime.metrics.contentType });
    res.end(await runtime.metrics.metrics());
    return;
  }
  json(res, 404, { error: 'not found' });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}

/** Stops taking requests and ends idle keep-alive connections. */
function stopHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
