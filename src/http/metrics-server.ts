import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { messageOf } from '../core/errors';
import type { Logger } from '../core/logger';
import { requestGuard } from './request-guards';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` on a port of its own (RDPFIX_METRICS_PORT, on RDPFIX_METRICS_HOST, loopback by
 * default): a scraper reaches it, people and chat platforms reach the main port only.
 */
export async function startMetricsServer(
  registry: Registry,
  config: Pick<Config, 'metrics' | 'publicUrl'>,
  logger: Logger,
): Promise<MetricsServer> {
  const { host, port } = config.metrics;
  const guard = requestGuard({ host, publicUrl: undefined });
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0] ?? '/';
    const refused = guard(req, path);
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8' }).end(refused.message);
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.error('metrics failed', { error: messageOf(err) });
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  logger.info('metrics listening', { url: `${url}/metrics` });
  return { url, close: () => stop(server) };
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
