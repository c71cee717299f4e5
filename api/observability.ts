import type { IncomingMessage } from 'node:http';
import type { Express, Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { ulid } from '../common/ulid.js';
import type { Logger } from '../common/logger.js';
import { httpRequestDuration, registry } from '../common/metrics.js';

/** Ids in paths become placeholders so the route label stays a small, fixed set. */
export function routeLabel(path: string): string {
  return path
    .replace(/\/(pay|we|msg|pm|key|mer)_[A-Za-z0-9_-]+/g, '/:$1_id')
    .replace(/^\/trpc\/([\w.,]+).*$/, '/trpc/$1');
}

/** The merchant a request acted for, set once its key is checked, so the request log names it. */
export function noteMerchant(req: IncomingMessage, merchantId: string): void {
  (req as IncomingMessage & { merchantId?: string }).merchantId = merchantId;
}

/**
 * Request ids (`X-Request-Id` in and out), one structured log line per request with the merchant,
 * the request duration histogram, and /metrics.
 */
export function applyObservability(app: Express, logger: Logger): void {
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
      autoLogging: { ignore: (req) => req.url === '/metrics' || req.url === '/healthz' || req.url === '/readyz' },
      // Headers are not logged at all: keys and tokens travel in them.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req: Request, res: Response, next) => {
    const stop = httpRequestDuration.startTimer();
    res.on('finish', () => stop({ method: req.method, route: routeLabel(req.path), status: String(res.statusCode) }));
    next();
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });
}
