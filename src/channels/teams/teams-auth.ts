import { type AuthConfiguration, getAuthConfigWithDefaults } from '@microsoft/agents-hosting';
import type { Config } from '../../config';
import { isLoopbackHost } from '../../core/loopback';

/** Whether /api/messages is served, and how its requests are authenticated. */
export type TeamsMode =
  | { kind: 'authenticated' }
  /** No client id, on purpose: local mode (the simulator) or `RDPFIX_TEAMS_ANONYMOUS=true`. */
  | { kind: 'anonymous'; because: 'local mode' | 'RDPFIX_TEAMS_ANONYMOUS' }
  | { kind: 'off'; reason: string };

/**
 * Without an app id Teams requests are not authenticated, so anyone could claim to be an
 * approver: served then only on a loopback bind, without NODE_ENV=production (the Agents SDK
 * refuses anonymous requests there, src/auth/jwt-middleware.ts 512), and only in local mode or
 * when `RDPFIX_TEAMS_ANONYMOUS=true` says so — never by accident against real Azure.
 */
export function teamsMode(
  config: Pick<Config, 'host' | 'teams' | 'azure'>,
  env: Record<string, string | undefined> = process.env,
): TeamsMode {
  if (config.teams.clientId) return { kind: 'authenticated' };
  // As the runtime decides (an empty AZURE_SUBSCRIPTION_ID is local mode too).
  const localMode = !config.azure.subscriptionId;
  if (!isLoopbackHost(config.host) || env.NODE_ENV === 'production')
    return {
      kind: 'off',
      reason: `no clientId is set and the server listens on ${config.host}${env.NODE_ENV === 'production' ? ' with NODE_ENV=production' : ''}, so /api/messages would not be authenticated`,
    };
  if (config.teams.anonymous) return { kind: 'anonymous', because: 'RDPFIX_TEAMS_ANONYMOUS' };
  if (localMode) return { kind: 'anonymous', because: 'local mode' };
  return {
    kind: 'off',
    reason:
      'no clientId is set and AZURE_SUBSCRIPTION_ID is: /api/messages would approve real changes unauthenticated (set clientId, or RDPFIX_TEAMS_ANONYMOUS=true on purpose)',
  };
}

/**
 * The SDK's JWT settings. Issuer validation is opt-in in @microsoft/agents-hosting 1.8.1
 * (src/auth/jwt-middleware.ts 396, `if (authConfig.validateIssuer)`): on, a token must come
 * from `https://api.botframework.com` or the configured tenant's Entra issuers (the defaults
 * the SDK derives from `tenantId` and the authority, src/auth/settings.ts 57 and 188, plus its
 * Microsoft first-party tenants). Keys for Entra issuers come from
 * `<authority>/<tenant>/discovery/v2.0/keys` (jwt-middleware.ts 301).
 */
export function teamsAuthConfig(teams: Config['teams']): AuthConfiguration {
  return getAuthConfigWithDefaults(
    teams.clientId
      ? {
          clientId: teams.clientId,
          ...(teams.clientSecret ? { clientSecret: teams.clientSecret } : {}),
          ...(teams.tenantId ? { tenantId: teams.tenantId } : {}),
          ...(teams.authority ? { authorityEndpoint: teams.authority } : {}),
          validateIssuer: true,
        }
      : {},
  );
}
