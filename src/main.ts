import { loadConfig } from './config';
import { messageOf } from './core/errors';
import { pinoLogger } from './observability/pino-logger';
import { startServer } from './server';

/** `npm start`: the server, configured from the environment; SIGTERM/SIGINT stop it cleanly. */
async function main(): Promise<void> {
  const logger = pinoLogger();
  const server = await startServer(loadConfig(process.env), logger, process.env);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: no new requests; work in progress finishes or is handed over to another replica', {
      signal,
    });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { error: messageOf(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`rdp-fix could not start: ${messageOf(err)}\n`);
  process.exit(1);
});
