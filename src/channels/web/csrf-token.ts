import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { cookieValue } from './web-access';

/** The cookie and the header that carry the playground's CSRF token. */
export const CsrfCookie = 'rdpfix_csrf';
export const CsrfHeader = 'x-rdpfix-csrf';

export interface CsrfTokens {
  /** The token for a page: the browser's current one if it is still valid, else a new one. */
  forPage(req: IncomingMessage): { token: string; setCookie: string | undefined };
  /** Whether a post carries a valid token in its header, equal to its cookie. */
  check(req: IncomingMessage): boolean;
}

/**
 * Signed double-submit tokens (OWASP CSRF cheat sheet): the page gets a token in a `<meta>`
 * and a `SameSite=Strict` cookie; its posts send it back in a header. Another site can
 * neither read the page nor set the header, and the signature (HMAC with a key of this
 * process) stops a cookie planted by a sibling host from being accepted.
 */
export function csrfTokens(key: Buffer = randomBytes(32)): CsrfTokens {
  const sign = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  const valid = (token: string) => {
    const [nonce, mac] = token.split('.');
    if (!nonce || !mac) return false;
    const a = Buffer.from(mac);
    const b = Buffer.from(sign(nonce));
    return a.length === b.length && timingSafeEqual(a, b);
  };
  return {
    forPage(req) {
      const current = cookieValue(req, CsrfCookie);
      if (typeof current === 'string' && valid(current)) return { token: current, setCookie: undefined };
      const nonce = randomBytes(18).toString('base64url');
      const token = `${nonce}.${sign(nonce)}`;
      return { token, setCookie: `${CsrfCookie}=${token}; Path=/; SameSite=Strict; HttpOnly` };
    },
    check(req) {
      const header = req.headers[CsrfHeader];
      const cookie = cookieValue(req, CsrfCookie);
      if (typeof header !== 'string' || typeof cookie !== 'string' || header !== cookie) return false;
      return valid(header);
    },
  };
}
