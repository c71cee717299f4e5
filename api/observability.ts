import type { IncomingMessage } from 'node:http';
import type { Express, Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { ulid } from '../common/ulid.js';
import type { Logger } from '../common/logger.js';
import { httpRequestDuration, metricsAuthorized, registry } from '../common/metrics.js';
import { DOCS_PATH, METRICS_PATH, inDocs, polledByPlatform } from './platform-routes.js';

/**
 * The route label of a request: the template of the route that answered (`/api/v1/payments/{id}`),
 * a known tRPC procedure, or one shared `unmatched`, so no client can mint new series.
 */
export function routeLabel(req: Request, res: Response, procedures: ReadonlySet<string>): string {
  if (typeof res.locals.routeLabel === 'string') return res.locals.routeLabel;
  if (req.route?.path) return `${req.baseUrl}${String(req.route.path)}`;
  // Mounted routers rewrite req.path while they run; the original URL is what the client asked for.
  const path = req.originalUrl.split('?')[0]!;
  const trpc = /^\/trpc\/([\w.,]+)$/.exec(path);
  if (trpc) {
    const names = trpc[1]!.split(',');
    if (names.every((n) => procedures.has(n))) return names.length === 1 ? `/trpc/${names[0]}` : '/trpc (batch)';
  }
  if (inDocs(path)) return DOCS_PATH;
  return 'unmatched';
}

/** The merchant a request acted for, set once its key is checked, so the request log names it. */
export function noteMerchant(req: IncomingMessage, merchantId: string): void {
  (req as IncomingMessage & { merchantId?: string }).merchantId = merchantId;
}

/**
 * Request ids (`X-Request-Id` in and out), one structured log line per request with the merchant,
 * the request duration histogram, and /metrics.
 */
export function applyObservability(
  app: Express,
  logger: Logger,
  options: { procedures: ReadonlySet<string>; metricsToken?: string },
): void {
  app.use(
    pinoHttp({
      logger,
      // Every line of a request carries `requestId`, not the whole request.
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : ulid();
        res.setHeader('x-request-id', id);
        return id;
      },
      customProps: (req) => ({ merchantId: (req as IncomingMessage & { merchantId?: string }).merchantId }),
      autoLogging: { ignore: (req) => polledByPlatform(req.url ?? '') },
      // Headers are not logged at all: keys and tokens travel in them.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req: Request, res: Response, next) => {
    const stop = httpRequestDuration.startTimer();
    res.on('finish', () => stop({ method: req.method, route: routeLabel(req, res, options.procedures), status: String(res.statusCode) }));
    next();
  });
  app.get(METRICS_PATH, async (req, res) => {
    if (!metricsAuthorized(req.headers.authorization, options.metricsToken)) {
      res.status(401).json({ code: 'UNAUTHORIZED', message: 'metrics need Authorization: Bearer <METRICS_TOKEN>' });
      return;
    }
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });
}
