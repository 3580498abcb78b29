import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** ARM wire helpers shared by the simulator's routes. */

/** Every route ends by sending one response; handlers return that fact. */
export type Sent = true;

const OutputLimit = 4096;

export function key(rg: string, name: string): string {
  return `${rg.toLowerCase()}/${name.toLowerCase()}`;
}

export function armError(code: string, message: string) {
  return { error: { code, message } };
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Sent {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
  return true;
}

export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Azure keeps only the last 4,096 bytes of each output stream. */
export function lastBytes(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= OutputLimit ? text : bytes.subarray(bytes.length - OutputLimit).toString('utf8');
}
