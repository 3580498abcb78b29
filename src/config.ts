import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type RunCommandKind, RunCommandKinds } from './azure/managed-run-command';
import { approvalPolicyOf, checkTeamsSettings } from './config-rules';
import type { ApprovalPolicy } from './core/approval-policy';
import { isLoopbackHost } from './core/loopback';
import { type Locale, Locales, Risks } from './core/types';
import { DefaultPoolSize } from './store/postgres/connection';

/** A comma-separated list: blanks and surrounding spaces dropped. */
const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v)));

/** The names issue 17 used for two risks, accepted beside the playbook's own. */
const RiskAliases: Record<string, string> = { restart: 'restartsVm', changesConfiguration: 'changesConfig' };

/**
 * An optional setting given as an empty string counts as not set: a deployment template
 * passes its empty default (deploy/azure/main.bicep's `publicUrl`, `teamsClientId`) rather
 * than leaving the variable out.
 */
function unsetWhenEmpty<T extends z.ZodTypeAny>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

/** The environment as parsed, before it becomes a `Config`. */
export type Env = z.infer<typeof envSchema>;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().default('sqlite:./data/rdp-fix.db'),
  RDPFIX_PG_POOL_SIZE: z.coerce
    .number('must be a whole number of connections')
    .int('must be a whole number of connections')
    .min(1, 'must be at least 1 connection')
    .default(DefaultPoolSize),
  RDPFIX_LOCALE: z.enum(Locales).default('en'),
  RDPFIX_APPROVERS: list,
  RDPFIX_ALLOW_SELF_APPROVAL: flag,
  RDPFIX_TWO_PERSON_RISK: list.pipe(
    z.array(
      z
        .string()
        .transform((name) => RiskAliases[name] ?? name)
        .pipe(z.enum(Risks, { error: (i) => `unknown risk "${String(i.input)}": use ${Risks.join(', ')}` })),
    ),
  ),
  RDPFIX_MAX_OPEN_PER_USER: z.coerce.number().int().min(1).max(1000).optional(),
  RDPFIX_APPROVAL_TTL_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(60),
  RDPFIX_DIALOGS_DIR: z.string().default('dialogs'),
  AZURE_SUBSCRIPTION_ID: z.string().optional(),
  RDPFIX_RESOURCE_GROUPS: list,
  AZURE_ARM_ENDPOINT: z.string().url().optional(),
  RDPFIX_SIM_LATENCY_SCALE: z.coerce.number().min(0).max(10).default(0.05),
  RDPFIX_SIM_INVENTORY: z.string().optional(),
  RDPFIX_POLL_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).optional(),
  RDPFIX_RUN_COMMAND: z.enum(RunCommandKinds).default('managed'),
  // The automated offline repair on a rescue VM: off unless asked for (it creates billed resources).
  RDPFIX_RESCUE: flag,
  RDPFIX_RESCUE_RESOURCE_GROUP: unsetWhenEmpty(
    z
      .string()
      .regex(/^[A-Za-z0-9_.()-]{1,90}$/, 'must be a resource group name')
      .optional(),
  ),
  RDPFIX_REPLICA_ID: z
    .string()
    .regex(/^[\w.:@-]{1,100}$/, 'letters, digits and . : @ - _ only')
    .optional(),
  RDPFIX_LEASE_SECONDS: z.coerce.number().min(0.3).max(3600).default(30),
  RDPFIX_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().min(1).optional(),
  SLACK_API_URL: z.string().url().optional(),
  RDPFIX_PUBLIC_URL: unsetWhenEmpty(z.string().url().optional()),
  RDPFIX_TEAMS_APPROVERS: list,
  RDPFIX_TEAMS_ANONYMOUS: flag,
  RDPFIX_TEAMS_SERVICE_HOSTS: list.pipe(
    z.array(
      z
        .string()
        .regex(
          /^([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:]+\])$/i,
          'host names only, e.g. smba.example.net,127.0.0.1',
        ),
    ),
  ),
  NODE_ENV: z.string().optional(),
  RDPFIX_WEB_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  RDPFIX_WEB_AUTH: z.enum(['azure']).optional(),
  RDPFIX_WEB_ALLOWED_USERS: list,
  RDPFIX_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  RDPFIX_METRICS_HOST: z.string().default('127.0.0.1'),
  // The Agents SDK's own setting names (and the Bot Framework ones it also reads).
  clientId: unsetWhenEmpty(z.string().min(1).optional()),
  clientSecret: unsetWhenEmpty(z.string().min(1).optional()),
  tenantId: unsetWhenEmpty(z.string().min(1).optional()),
  MicrosoftAppId: unsetWhenEmpty(z.string().min(1).optional()),
  MicrosoftAppPassword: unsetWhenEmpty(z.string().min(1).optional()),
  MicrosoftAppTenantId: unsetWhenEmpty(z.string().min(1).optional()),
  // The Entra authority the SDK takes its signing keys and issuers from (a sovereign cloud's
  // login host); plain http only on loopback, where tests serve their own keys.
  authorityEndpoint: z
    .string()
    .url()
    .refine((u) => /^https:/i.test(u) || isLoopbackHost(new URL(u).hostname), 'must be https')
    .optional(),
});

export interface Config {
  port: number;
  host: string;
  database:
    | { kind: 'sqlite'; file: string }
    /** `poolSize`: connections this replica opens at most (`RDPFIX_PG_POOL_SIZE`). */
    | { kind: 'postgres'; url: string; schema: string; poolSize: number }
    | { kind: 'memory' };
  locale: Locale;
  policy: ApprovalPolicy;
  dialogsDir: string;
  azure: {
    subscriptionId: string | undefined;
    resourceGroups: string[];
    armEndpoint: string | undefined;
    /** Which Run Command runs the scripts: `managed` (with a timeout Azure enforces) or `action`. */
    runCommand: RunCommandKind;
  };
  /**
   * The offline repair on a rescue VM (`RDPFIX_RESCUE`); `resourceGroup`: where rescue VMs go
   * (`RDPFIX_RESCUE_RESOURCE_GROUP`), else a new `rdpfix-rescue-<incident>` per incident.
   */
  rescue: { enabled: boolean; resourceGroup: string | undefined };
  /**
   * Several replicas on one database: this one's name (default host:port, stable across a
   * restart), how long its work stays its own without a heartbeat, and how long a SIGTERM
   * waits for work in progress before handing it over.
   */
  replica: { id: string; leaseMs: number; shutdownGraceMs: number };
  /** Local mode: the simulator's latency (1 = Azure's ~30 s per command, 90 s per restart) and polling. */
  simulator: { latencyScale: number; pollIntervalMs: number; inventoryFile: string | undefined };
  /** Slack is on when both the signing secret and the bot token are set. */
  slack:
    | { signingSecret: string; botToken: string; appToken: string | undefined; apiUrl: string | undefined }
    | undefined;
  /** The address people reach the server at, for links in chat (transcript pages). */
  publicUrl: string | undefined;
  /** Access to the web pages when the server listens beyond loopback. */
  /** `allowedUsers`: with Easy Auth, the principal names (lower case) that may see the pages. */
  web: { token: string | undefined; azureAuth: boolean; allowedUsers: string[] };
  /** `/metrics` on a port of its own (loopback by default) instead of the main one, when `port` is set. */
  metrics: { port: number | undefined; host: string };
  /**
   * Teams at /api/messages. Without a client id requests are not authenticated: served only in
   * local mode or with `anonymous` (`RDPFIX_TEAMS_ANONYMOUS`), on loopback.
   */
  teams: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    tenantId: string | undefined;
    /** The Entra authority (default `https://login.microsoftonline.com`). */
    authority: string | undefined;
    /** Entra object ids of the Teams approvers (`RDPFIX_TEAMS_APPROVERS`), for `refresh.userIds`. */
    approverIds: string[];
    anonymous: boolean;
    /** Bot Connector hosts allowed besides Microsoft's (`RDPFIX_TEAMS_SERVICE_HOSTS`). */
    serviceHosts: string[];
  };
}

/**
 * Reads the configuration once, at start-up, from the environment passed in. Every problem
 * is reported at once, by variable name.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  const teamsProblems = checkTeamsSettings(e);
  if (teamsProblems.length)
    throw new Error(`Invalid configuration:\n${teamsProblems.map((p) => `  ${p}`).join('\n')}`);
  if (e.RDPFIX_WEB_AUTH === 'azure' && e.RDPFIX_WEB_ALLOWED_USERS.length === 0) {
    // Easy Auth signs in anyone of the tenant (or any Microsoft account): who may read
    // transcripts must be said here.
    throw new Error(
      'Invalid configuration:\n  RDPFIX_WEB_ALLOWED_USERS: required with RDPFIX_WEB_AUTH=azure (the principal names allowed to see the web pages, comma-separated)',
    );
  }
  const policy = approvalPolicyOf(e);
  return {
    port: e.PORT,
    host: e.HOST,
    database: parseDatabaseUrl(e.DATABASE_URL, { poolSize: e.RDPFIX_PG_POOL_SIZE }),
    replica: {
      id: e.RDPFIX_REPLICA_ID ?? `${hostname()}:${e.PORT}`,
      leaseMs: e.RDPFIX_LEASE_SECONDS * 1000,
      shutdownGraceMs: e.RDPFIX_SHUTDOWN_GRACE_SECONDS * 1000,
    },
    locale: e.RDPFIX_LOCALE,
    policy,
    dialogsDir: resolve(e.RDPFIX_DIALOGS_DIR),
    azure: {
      subscriptionId: e.AZURE_SUBSCRIPTION_ID,
      resourceGroups: e.RDPFIX_RESOURCE_GROUPS,
      armEndpoint: e.AZURE_ARM_ENDPOINT,
      runCommand: e.RDPFIX_RUN_COMMAND,
    },
    rescue: { enabled: e.RDPFIX_RESCUE === true, resourceGroup: e.RDPFIX_RESCUE_RESOURCE_GROUP },
    slack:
      e.SLACK_SIGNING_SECRET && e.SLACK_BOT_TOKEN
        ? {
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            appToken: e.SLACK_APP_TOKEN,
            apiUrl: e.SLACK_API_URL,
          }
        : undefined,
    web: {
      token: e.RDPFIX_WEB_TOKEN,
      azureAuth: e.RDPFIX_WEB_AUTH === 'azure',
      allowedUsers: e.RDPFIX_WEB_ALLOWED_USERS.map((u) => u.toLowerCase()),
    },
    teams: {
      clientId: e.clientId ?? e.MicrosoftAppId,
      clientSecret: e.clientSecret ?? e.MicrosoftAppPassword,
      tenantId: e.tenantId ?? e.MicrosoftAppTenantId,
      authority: e.authorityEndpoint,
      // Teams' own list only: Slack ids mean nothing to Teams, and would be shown in the card.
      approverIds: e.RDPFIX_TEAMS_APPROVERS,
      anonymous: e.RDPFIX_TEAMS_ANONYMOUS === true,
      serviceHosts: e.RDPFIX_TEAMS_SERVICE_HOSTS,
    },
    publicUrl: e.RDPFIX_PUBLIC_URL?.replace(/\/$/, ''),
    metrics: { port: e.RDPFIX_METRICS_PORT, host: e.RDPFIX_METRICS_HOST },
    simulator: {
      latencyScale: e.RDPFIX_SIM_LATENCY_SCALE,
      inventoryFile: e.RDPFIX_SIM_INVENTORY ? resolve(e.RDPFIX_SIM_INVENTORY) : undefined,
      // Azure asks clients to poll every few seconds; the local simulator answers faster.
      pollIntervalMs: e.RDPFIX_POLL_INTERVAL_MS ?? (e.AZURE_SUBSCRIPTION_ID ? 5_000 : 200),
    },
  };
}

/**
 * `sqlite:<file>` (or a bare file path), `postgres://…` (scale-out; `?schema=name` keeps
 * rdp-fix's tables in a schema of their own, `public` by default), or `memory:` (nothing kept).
 * `postgres` takes the pool size from its own setting (`RDPFIX_PG_POOL_SIZE`).
 */
export function parseDatabaseUrl(
  url: string,
  postgres: { poolSize: number } = { poolSize: DefaultPoolSize },
): Config['database'] {
  if (url === 'memory:') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error('Invalid configuration:\n  DATABASE_URL: schema must be a lower-case SQL name');
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', url: parsed.toString(), schema, poolSize: postgres.poolSize };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error('Invalid configuration:\n  DATABASE_URL: use sqlite:<file>, postgres://… or memory:');
  }
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (!file) throw new Error('Invalid configuration:\n  DATABASE_URL: sqlite: needs a file path');
  return { kind: 'sqlite', file: resolve(file) };
}
