/**
 * The routes the platform calls rather than clients: probes, metrics and the API's own description.
 * Declared here once: they are mounted from these names, and they are the only exemptions from the
 * rate limit, which applies to every other path (a route added anywhere is limited unless named here).
 */
export const HEALTH_PATH = '/healthz';
/** `/api/v1/health` is the NestJS system's path for the readiness question. */
export const READY_PATHS = ['/readyz', '/api/v1/health'] as const;
export const METRICS_PATH = '/metrics';
export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/api/v1/docs';

/** The docs UI and its own assets: a look-alike prefix such as `/api/v1/docsX/…` is not in it. */
export const inDocs = (path: string): boolean => path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`);

const UNLIMITED: ReadonlySet<string> = new Set([HEALTH_PATH, ...READY_PATHS, METRICS_PATH, OPENAPI_PATH]);

/** True only for the platform's routes; every other path, known or not, is rate limited. */
export const exemptFromRateLimit = (path: string): boolean => UNLIMITED.has(path) || inDocs(path);

/** Polled every few seconds by the platform: a log line per call would drown the rest. */
const POLLED: ReadonlySet<string> = new Set([HEALTH_PATH, READY_PATHS[0], METRICS_PATH]);
export const polledByPlatform = (url: string): boolean => POLLED.has(url);
