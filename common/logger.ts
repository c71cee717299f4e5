import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Never logged, wherever they appear: API keys, bearer tokens, signing secrets, connector credentials. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'key',
  'TEMPORAL_API_KEY',
  '*.TEMPORAL_API_KEY',
  '*.*.apiKey',
  // Connector credentials, wherever an input or a row is logged whole.
  'credentials',
  '*.credentials',
  '*.*.credentials',
  'secretKey',
  '*.secretKey',
  '*.*.secretKey',
  'sealedCredentials',
  '*.sealedCredentials',
];

/** Secrets recognised by their form, wherever they appear: in a message, an error, a SQL parameter. */
const SECRET_VALUES = /\b(sk|rk|whsec)_[A-Za-z0-9+/=_-]{8,}/g;

/** Replaces every secret-looking value in a serialized log line. */
export function redactSecretValues(line: string): string {
  return line.replace(SECRET_VALUES, '$1_[redacted]');
}

/** The value as written and as JSON escapes it inside a serialized line. */
function redactValue(line: string, value: string): string {
  return line.replaceAll(value, '[redacted]').replaceAll(JSON.stringify(value).slice(1, -1), '[redacted]');
}

/**
 * One structured logger per process: JSON in production and tests, pretty on a developer's
 * terminal. `destination` lets tests capture the output.
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'> & Partial<Pick<Config, 'TEMPORAL_API_KEY'>>,
  destination?: DestinationStream,
): Logger {
  // Temporal's API keys have no form of their own to recognise (Cloud's are JWTs): the configured one is removed by its value.
  const temporalApiKey = config.TEMPORAL_API_KEY;
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Field names miss secrets that travel inside text (an error message quoting a statement).
    hooks: {
      streamWrite: temporalApiKey ? (line: string) => redactValue(redactSecretValues(line), temporalApiKey) : redactSecretValues,
    },
    base: { pid: process.pid },
  };
  if (destination) return pino(options, destination);
  if (config.NODE_ENV === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } } });
  }
  return pino(options);
}
