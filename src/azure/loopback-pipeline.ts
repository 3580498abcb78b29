import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { isLoopbackHost } from '../core/loopback';

/**
 * The Azure SDK refuses bearer tokens over http. To talk to a loopback ARM server (the
 * simulator) the client keeps an https endpoint and this per-retry policy rewrites every
 * request's scheme and host to the loopback address, restoring the original URL once the
 * response is back: the LRO poller reads the request URL again, and an http URL there would
 * break the next poll.
 */
export function loopbackRedirectPolicy(loopback: string): PipelinePolicy {
  const target = new URL(loopback);
  if (!isLoopback(target))
    throw new Error(`refusing to redirect Azure traffic to a non-loopback address: ${loopback}`);
  return {
    name: 'rdpfixLoopbackRedirect',
    async sendRequest(request, next) {
      const original = request.url;
      const url = new URL(original);
      url.protocol = target.protocol;
      url.host = target.host;
      request.url = url.toString();
      request.allowInsecureConnection = true;
      try {
        return await next(request);
      } finally {
        request.url = original;
      }
    },
  };
}

export function isLoopback(url: URL): boolean {
  return isLoopbackHost(url.hostname);
}

/**
 * A fixed credential for the loopback simulator only: its token means nothing anywhere else,
 * and a real token is never sent over http.
 */
export class StaticTestCredential implements TokenCredential {
  async getToken(): Promise<AccessToken> {
    return { token: 'rdp-fix-simulator-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}
