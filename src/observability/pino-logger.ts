import pino from 'pino';
import type { Logger } from '../core/logger';

/**
 * Structured JSON logs (pino) for the server. Fields that could carry secrets are censored
 * by path, wherever a caller puts them.
 */
export function pinoLogger(destination: pino.DestinationStream = pino.destination(1)): Logger {
  const log = pino(
    {
      base: { service: 'rdp-fix' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'token',
          'secret',
          'password',
          'authorization',
          '*.token',
          '*.secret',
          '*.password',
          '*.authorization',
          '*.clientSecret',
          '*.botToken',
          '*.signingSecret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
  return {
    info: (msg, fields = {}) => log.info(fields, msg),
    warn: (msg, fields = {}) => log.warn(fields, msg),
    error: (msg, fields = {}) => log.error(fields, msg),
  };
}
