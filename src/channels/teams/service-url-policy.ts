import { type OutboundUrlPolicy, TeamsServiceEndpoints } from '@microsoft/agents-hosting';
import { isLoopbackHost } from '../../core/loopback';

/**
 * The hosts of Microsoft's Teams Bot Connector: public (all regions share
 * `smba.trafficmanager.net`, with `/amer/`, `/emea/`, `/teams/`… as paths), GCC, GCC High and
 * DoD — `TeamsServiceEndpoints` in @microsoft/agents-hosting 1.8.1
 * (src/app/proactive/conversationReferenceBuilder.ts). The SDK's own `OutboundHostValidator`
 * list is not used: it also admits any subdomain of `blob.core.windows.net` and
 * `sharepoint.com` (attachment hosts, src/outboundHostValidator.ts), which anyone can register.
 */
export const TeamsServiceHosts: readonly string[] = Object.values(TeamsServiceEndpoints).map(
  (url) => new URL(url).hostname,
);

/** Where Teams replies may go, and why a `serviceUrl` is refused. */
export interface ServiceUrlPolicy extends OutboundUrlPolicy {
  /** Undefined when allowed; otherwise why not, for the log. */
  refusal(serviceUrl: unknown): string | undefined;
}

/**
 * Replies (with the bot's token once a client id is set) go only to an `https` Microsoft host,
 * a host of `RDPFIX_TEAMS_SERVICE_HOSTS`, or, in local mode, a loopback address (the tests'
 * fake Bot Connector). Hosts match exactly, never as suffixes. Plain `http` only to loopback.
 */
export function serviceUrlPolicy(options: {
  extraHosts: readonly string[];
  allowLoopback: boolean;
}): ServiceUrlPolicy {
  const hosts = new Set([...TeamsServiceHosts, ...options.extraHosts].map((h) => h.toLowerCase()));
  function refusal(serviceUrl: unknown): string | undefined {
    if (typeof serviceUrl !== 'string' || !serviceUrl) return 'the activity has no serviceUrl';
    let url: URL;
    try {
      url = new URL(serviceUrl);
    } catch {
      return 'the serviceUrl is not a URL';
    }
    const host = url.hostname.toLowerCase().replace(/\.$/, '');
    const loopback = isLoopbackHost(host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
      return 'the serviceUrl is not https';
    if (url.username || url.password) return 'the serviceUrl carries credentials';
    if (hosts.has(host) || (loopback && options.allowLoopback)) return undefined;
    return `${host} is not a Teams service host (RDPFIX_TEAMS_SERVICE_HOSTS adds hosts)`;
  }
  return {
    enabled: true,
    isAllowed: (url) => refusal(url instanceof URL ? url.href : url) === undefined,
    refusal,
  };
}
