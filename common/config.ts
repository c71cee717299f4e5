import { z } from 'zod';
import './zod-messages.js';
import { parseCidrList } from './url-guard.js';
import { connectorKeysProblem } from './connector-keys.js';

const port = z.coerce.number().int().min(1).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p)), {
      message: `must start with ${protocols.join(' or ')}`,
    });

/** An empty value reads as unset, as a blank line in an env file means. */
const optionalText = z
  .string()
  .optional()
  .transform((v) => v || undefined);

/** Every environment variable the system reads. Defaults serve the embedded mode (`npm start`). */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  WEB_PORT: port.default(3000),
  /** Where the dashboard's server side reaches the API. Default: this host's PORT. */
  API_URL: optionalUrl(['http://', 'https://']),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),

  DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
  /** A request without an API key acts as the demo merchant. Default: on only in the embedded mode. */
  ANONYMOUS_AS_DEMO: z.enum(['true', 'false']).optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(100),
  /** Requests per minute per client address that fail authentication before it is refused outright. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /**
   * Express's `trust proxy`: whose X-Forwarded-For names the client. The default trusts loopback
   * only (the dashboard's server, a local reverse proxy); behind a load balancer name it (a hop
   * count, or addresses/CIDRs); `false` always uses the socket's address.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CORS_ORIGINS: z.string().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  EMBEDDED_PG_PORT: port.default(5433),

  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || /^[^\s/:]+:\d{1,5}$/.test(v), { message: 'must be host:port' }),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /**
   * Temporal Cloud and secured clusters, under the names Temporal's own CLI and SDKs read (its
   * environment configuration). TLS is on when any of the others is set; `false` forces it off.
   */
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  /** PEM of the CA that signed the frontend's certificate; unset: the system's roots (Temporal Cloud). */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalText,
  /** The name the frontend's certificate must carry, when it is not the host of TEMPORAL_ADDRESS. */
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  /** mTLS: this client's certificate and key (PEM files), both or neither. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalText,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalText,
  /** Sent as `Authorization: Bearer …` on every call (Temporal Cloud API keys); never logged. */
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('payments'),
  TEMPORAL_CLI: z.string().optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: optionalUrl(['http://', 'https://']),

  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  /** Port of a standalone worker's /metrics (`npm run worker`); under `npm start` the API serves them. */
  WORKER_METRICS_PORT: port.default(9091),
  /** When set, the Temporal SDK's own metrics are served for Prometheus on this port. */
  TEMPORAL_SDK_METRICS_PORT: port.optional(),

  /** OTLP/HTTP collector (e.g. http://localhost:4318); tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http://', 'https://']),
  OTEL_SERVICE_NAME: z.string().min(1).default('temporal-payments'),

  GATEWAY_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * Where Stripe connectors send their calls: Stripe itself unless a test or `npm start` points them
   * at stripe-mock. Operator config, never per account, so a merchant cannot aim the worker elsewhere.
   */
  STRIPE_API_URL: optionalUrl(['http://', 'https://']),
  /** How long one processor call may take before its outcome counts as unknown. */
  // Below the activity's 15 s timeout: a call Temporal gave up on has ended here too, not still in flight.
  CONNECTOR_TIMEOUT_MS: z.coerce.number().int().min(100).max(14_000).default(10_000),
  /** How long a connector's open circuit skips it before one call may try it again. */
  CONNECTOR_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * Master keys sealing connector credentials: `id:base64(32 bytes)`, comma-separated. The first
   * seals; every one listed opens (rotation: put the new key first, run rotate, then drop the old).
   */
  CONNECTOR_KEYS: z
    .string()
    .optional()
    .superRefine((keys, ctx) => {
      const problem = keys?.trim() ? connectorKeysProblem(keys) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Delay before each attempt: the first is immediate, then backing off over about a day and a half. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('0,5s,5m,30m,2h,5h,10h,10h')
    .transform((v, ctx) => {
      const delays = v.split(',').map((d) => parseDuration(d.trim()));
      if (delays.some((d) => d === undefined) || delays.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of durations such as 0,5s,5m,2h' });
        return z.NEVER;
      }
      return delays as number[];
    }),
  /** An endpoint failing every attempt for this long is disabled. */
  WEBHOOK_DISABLE_AFTER: z
    .string()
    .default('5d')
    .transform(
      (v, ctx) => parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a duration such as 5d or 12h' }), z.NEVER),
    ),
  /** After a secret rotation the previous secret keeps signing, beside the new one, this long (0: not at all). */
  WEBHOOK_SECRET_ROTATION_OVERLAP: z
    .string()
    .default('24h')
    .transform(
      (v, ctx) => parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a duration such as 24h or 30m' }), z.NEVER),
    ),
  /** A manual-capture payment's authorization is voided when it was not captured within this. */
  CAPTURE_WINDOW: z
    .string()
    .default('7d')
    .transform(
      (v, ctx) =>
        (parseDuration(v) || undefined) ??
        (ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 7d or 36h' }), z.NEVER),
    ),
  /** The events feed lists events this recent; the worker deletes older ones in small batches. */
  EVENT_RETENTION: z
    .string()
    .default('30d')
    .transform(
      (v, ctx) => parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30d or 12h' }), z.NEVER),
    ),
  /** CIDRs webhooks may target although internal. Default: loopback in the embedded mode, none otherwise. */
  WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .optional()
    .refine((v) => v === undefined || isCidrList(v), 'must be comma-separated CIDRs such as 127.0.0.0/8,::1/128'),
});

/** The schema with the defaults that depend on other variables resolved. */
const resolvedSchema = configSchema.superRefine(checkTemporalTls).transform((c) => ({
  ...c,
  TEMPORAL_TLS: c.TEMPORAL_TLS ? c.TEMPORAL_TLS === 'true' : temporalTlsSettingGiven(c) || c.TEMPORAL_API_KEY !== undefined,
  ANONYMOUS_AS_DEMO: c.ANONYMOUS_AS_DEMO ? c.ANONYMOUS_AS_DEMO === 'true' : c.DATABASE_URL === undefined,
  API_URL: c.API_URL ?? `http://${loopbackName(c.HOST)}:${c.PORT}`,
  WEBHOOK_ALLOWED_CIDRS: c.WEBHOOK_ALLOWED_CIDRS ?? (c.DATABASE_URL === undefined ? '127.0.0.0/8,::1/128' : ''),
  CORS_ORIGINS: (c.CORS_ORIGINS ?? `http://localhost:${c.WEB_PORT},http://127.0.0.1:${c.WEB_PORT}`)
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean),
}));

export type Config = z.infer<typeof resolvedSchema>;

type RawConfig = z.infer<typeof configSchema>;

function temporalTlsSettingGiven(c: RawConfig): boolean {
  return [
    c.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    c.TEMPORAL_TLS_SERVER_NAME,
    c.TEMPORAL_TLS_CLIENT_CERT_PATH,
    c.TEMPORAL_TLS_CLIENT_KEY_PATH,
  ].some((v) => v !== undefined);
}

/** A certificate without its key (or the reverse), or TLS settings with TLS turned off, is a mistake, not a choice. */
function checkTemporalTls(c: RawConfig, ctx: z.RefinementCtx): void {
  const cert = c.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined;
  const key = c.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined;
  if (cert !== key) {
    const [given, missing] = cert
      ? ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']
      : ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
    ctx.addIssue({ code: 'custom', path: [given], message: `needs ${missing} too (a client certificate and its key come together)` });
  }
  if (c.TEMPORAL_TLS === 'false' && temporalTlsSettingGiven(c)) {
    ctx.addIssue({
      code: 'custom',
      path: ['TEMPORAL_TLS'],
      message: 'is false, but TEMPORAL_TLS_* settings are given: remove them or TEMPORAL_TLS',
    });
  }
}

export class ConfigError extends Error {}

/** How this host reaches its own API: over loopback when the API listens on every interface. */
function loopbackName(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Variables whose value a problem report never quotes: it would print key material to a terminal or a log. */
const SECRET_VARIABLES = new Set(['CONNECTOR_KEYS']);

/** Parse the environment; a bad value becomes one line naming the variable and the rule. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = resolvedSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    if (SECRET_VARIABLES.has(name)) return `${name}: ${issue.message}`;
    return `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/**
 * Variables of the development tools (CLI installers, tests, benchmark), never of the services:
 * read here too, so this module stays the one place the environment is read.
 */
const toolSchema = z.object({
  PATH: z.string().default(''),
  XDG_CACHE_HOME: optionalText,
  TEMPORAL_CLI: optionalText,
  /** The time-skipping test server (a wrapper around Temporal's Java TestServer). */
  TEMPORAL_TEST_SERVER: optionalText,
  TOXIPROXY_SERVER: optionalText,
  PYTHON: z.string().min(1).default('python3'),
  SCHEMATHESIS_BIN: optionalText,
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** `full` runs the chaos scenarios at full size (`npm run test:chaos`). */
  CHAOS_SCALE: optionalText,
  /** `1` records histories of new workflow paths into test/fixtures/histories. */
  RECORD_HISTORIES: optionalText,
  /** Set by the tests and the benchmark for the helper processes they start. */
  CRASH_MARKER: optionalText,
  BARE_TASK_QUEUE: optionalText,
  BARE_BUNDLE: optionalText,
  /** The Dockerfile the image-layout test reads (its negative control points it at an old one). */
  IMAGE_LAYOUT_DOCKERFILE: z.string().min(1).default('Dockerfile'),
});

export type ToolConfig = z.infer<typeof toolSchema>;

export function parseToolConfig(env: NodeJS.ProcessEnv = process.env): ToolConfig {
  const result = toolSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(`invalid configuration: ${result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
}

/**
 * The environment a child process or thread starts with: this process's, with the given values on
 * top. Configuration for it travels as these values, never by writing to this process's environment.
 */
export function childEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...overrides })) if (value !== undefined) env[name] = value;
  return env;
}

/** Where the Temporal Web UI lives, for links in banners and the dashboard. */
export function temporalUiUrl(config: Config): string {
  return config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`;
}

/** The embedded Postgres's address; also what standalone parts use when DATABASE_URL is unset. */
export function databaseUrl(config: Config): string {
  return config.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_PG_PORT}/payments`;
}

export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `0`, `250ms`, `5s`, `5m`, `2h`, `5d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

function isCidrList(value: string): boolean {
  try {
    parseCidrList(value);
    return true;
  } catch {
    return false;
  }
}
