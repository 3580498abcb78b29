import type { ServerResponse } from 'node:http';
import type { WebResponse } from '@microsoft/agents-hosting';

/**
 * The Agents SDK answers through an Express-like response (`status`, `setHeader`, `send`,
 * `end`); this wraps Node's own ServerResponse so no web framework is needed.
 */
export function toWebResponse(res: ServerResponse): WebResponse {
  const web: WebResponse = {
    status(code: number) {
      res.statusCode = code;
      return web;
    },
    setHeader(name: string, value: string) {
      res.setHeader(name, value);
      return web;
    },
    // Like Express, send() finishes the response: the SDK's JWT middleware never calls end().
    send(body?: unknown) {
      if (res.writableEnded) return web;
      if (body === undefined) res.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) res.end(body);
      else {
        if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      }
      return web;
    },
    end() {
      if (!res.writableEnded) res.end();
      return web;
    },
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
  };
  return web;
}
