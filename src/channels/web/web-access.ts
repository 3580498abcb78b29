import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../../config';
import { isLoopbackHost } from '../../core/loopback';

/** Whether the web pages may be served, and how people are checked. */
export type WebAccess =
  | { enabled: true; check: 'none' | 'token' | 'azure-auth' }
  | { enabled: false; reason: string };

/**
 * Loopback: no login (local mode). Any other address: a bearer token (RDPFIX_WEB_TOKEN) or
 * the identity header of Azure's built-in authentication (RDPFIX_WEB_AUTH=azure, with the
 * principals of RDPFIX_WEB_ALLOWED_USERS), else the pages are not served: transcripts can
 * hold sensitive output.
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

/** The answer to one request's credentials: let it in, or why not (with its HTTP status). */
export type AccessCheck =
  | { ok: true }
  | { ok: false; status: 400 | 401 | 403; error: string; challenge?: boolean };

/** Checks a request against the access mode: the token, or the Easy Auth principal and the allow-list. */
export function checkAccess(
  access: Extract<WebAccess, { enabled: true }>,
  web: Config['web'],
  req: IncomingMessage,
): AccessCheck {
  if (access.check === 'none') return { ok: true };
  if (access.check === 'azure-auth') {
    // Easy Auth sets this header after signing the person in, and removes one a client sent.
    const principal = req.headers['x-ms-client-principal-name'];
    if (typeof principal !== 'string' || !principal) return { ok: false, status: 401, error: 'unauthorised' };
    if (!web.allowedUsers.includes(principal.toLowerCase()))
      return { ok: false, status: 403, error: 'forbidden: you are not on the list of people allowed here' };
    return { ok: true };
  }
  const header = String(req.headers.authorization ?? '');
  const cookie = cookieValue(req, 'rdpfix_token');
  if (cookie === Malformed)
    return {
      ok: false,
      status: 400,
      error: 'the rdpfix_token cookie is not valid URL encoding: sign in again',
    };
  const given = header.startsWith('Bearer ') ? header.slice(7) : (cookie ?? '');
  const expected = Buffer.from(web.token ?? '');
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected)
    ? { ok: true }
    : { ok: false, status: 401, error: 'unauthorised', challenge: true };
}

/** A cookie whose value is not valid percent-encoding (`%E0%A4%A`): refused, never decoded. */
export const Malformed = Symbol('malformed cookie');

/** One cookie's value, URL-decoded; undefined when absent. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined | typeof Malformed {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      return Malformed;
    }
  }
  return undefined;
}
