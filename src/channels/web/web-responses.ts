import type { IncomingMessage, ServerResponse } from 'node:http';
import { StyleHash } from './html';
import { PlaygroundScriptHash } from './playground';
import { PagesScriptHash } from './times';

/**
 * No inline script or style but the page's own, named by hash (so injected markup runs
 * nothing), nothing from elsewhere, no framing (clickjacking), forms only to this server.
 */
export const ContentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${PlaygroundScriptHash} ${PagesScriptHash}`,
  `style-src ${StyleHash}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): true {
  res.writeHead(status, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'content-security-policy': ContentSecurityPolicy,
    // For browsers that predate frame-ancestors.
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
  return true;
}

export function html(res: ServerResponse, body: string, headers: Record<string, string> = {}): true {
  return send(res, 200, 'text/html; charset=utf-8', body, headers);
}

export function json(res: ServerResponse, status: number, body: unknown): true {
  return send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** The body as JSON, or null when it is larger than 64 KiB or not JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) return null;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
