import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Never logged, wherever they appear: API keys, bearer tokens, signing secrets. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'key',
];

/** Secrets recognised by their form, wherever they appear: in a message, an error, a SQL parameter. */
const SECRET_VALUES = /\b(sk|whsec)_[A-Za-z0-9+/=_-]{8,}/g;

/** Replaces every secret-looking value in a serialized log line. */
export function redactSecretValues(line: string): string {
  return line.replace(SECRET_VALUES, '$1_[redacted]');
}

/**
 * One structured logger per process: JSON in production and tests, pretty on a developer's
 * terminal. `destination` lets tests capture the output.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Field names miss secrets that travel inside text (an error message quoting a statement).
    hooks: { streamWrite: redactSecretValues },
    base: { pid: process.pid },
  };
  if (destination) return pino(options, destination);
  if (config.NODE_ENV === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } } });
  }
  return pino(options);
}
