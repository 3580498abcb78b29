import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Config } from '../config';
import { isLoopbackHost } from '../core/loopback';

/** Why a request is refused before any route sees it: an HTTP status and a short body. */
export interface Refused {
  status: 421 | 415 | 403;
  message: string;
}

/**
 * The host names this server answers to. A DNS-rebinding page reaches the server under the
 * attacker's own name (the browser sends it as `Host`), so any name that is not ours is
 * refused: the bind address, `localhost`, the loopback addresses on a loopback bind, and the
 * host of RDPFIX_PUBLIC_URL (where Slack and Teams post). On a wildcard bind (0.0.0.0, ::)
 * an IP literal is accepted too: the bind address is then every address of the machine, a
 * platform's probes name the container by its IP, and a rebinding attack always carries a
 * DNS name, never an address. The port is not compared: a proxy in front may change it.
 */
export function hostGuard(config: Pick<Config, 'host' | 'publicUrl'>): (host: string | undefined) => boolean {
  const bind = bracketed(config.host.toLowerCase());
  const names = new Set([bind, 'localhost']);
  if (isLoopbackHost(config.host)) for (const n of ['127.0.0.1', '[::1]']) names.add(n);
  if (config.publicUrl) names.add(new URL(config.publicUrl).hostname.toLowerCase());
  const wildcard = bind === '0.0.0.0' || bind === '[::]';
  return (header) => {
    const name = hostnameOf(header);
    if (!name) return false;
    if (names.has(name)) return true;
    return wildcard && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
  };
}

/** `Host: a.example:3978` → `a.example`; `[::1]:3978` → `[::1]`; lower case, no trailing dot. */
export function hostnameOf(header: string | undefined): string | undefined {
  const value = header?.trim().toLowerCase();
  if (!value) return undefined;
  const name = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.replace(/:\d*$/, '');
  return name.replace(/\.$/, '') || undefined;
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Bodies that are signed or token-checked by their platform, whose senders are no browsers:
 * Slack's form-encoded posts (Bolt checks the signature).
 */
const SignedBodies = new Set(['/slack/events']);

/**
 * Checks a request before routing: the Host (DNS rebinding) for every request, and for a
 * state-changing one a JSON body and no foreign Origin (CSRF). A browser can send a
 * cross-site POST without a preflight only as a form or `text/plain`; requiring
 * `application/json` takes that away, and a browser always names the page's origin in
 * `Origin` on a POST, so another site's page is refused by name.
 *
 * `/api/messages` gets the JSON check but not the Origin one: the Bot Connector "uses
 * industry-standard REST and JSON over HTTPS" (learn.microsoft.com, azure/bot-service/
 * rest-api/bot-framework-rest-connector-concepts) and the Agents SDK's own host parses its
 * body with `express.json()` only (microsoft/Agents-for-js, packages/agents-hosting-express/
 * src/startServer.ts), so a `text/plain` post there is a browser's, never Microsoft's.
 */
export function requestGuard(
  config: Pick<Config, 'host' | 'publicUrl'>,
): (req: IncomingMessage, path: string) => Refused | undefined {
  const knownHost = hostGuard(config);
  return (req, path) => {
    if (!knownHost(req.headers.host))
      return {
        status: 421,
        message:
          'Misdirected request: this server does not answer to that host name (see RDPFIX_PUBLIC_URL).',
      };
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD' || SignedBodies.has(path)) return undefined;
    if (!isJson(req.headers['content-type']))
      return { status: 415, message: 'Unsupported media type: send the body as application/json.' };
    if (path !== '/api/messages' && isForeignOrigin(req))
      return { status: 403, message: 'Forbidden: a request from another site.' };
    return undefined;
  };
}

/** `application/json`, with or without parameters such as `charset`. */
export function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * An Origin that is not the host the request was sent to (`null` included: sandboxed
 * frames and some redirects). No Origin at all is a client that is no browser (curl, a
 * script): it cannot carry a victim's cookies or network position against their will.
 * Only host and port are compared: TLS may end at a proxy in front of the server.
 */
export function isForeignOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() !== String(req.headers.host ?? '').toLowerCase();
  } catch {
    return true;
  }
}
