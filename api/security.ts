import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import cors from 'cors';
import { MemoryStore, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Config } from '../common/config.js';
import { requestContext } from './context.js';
import { hashApiKey } from './merchants.js';
import { exemptFromRateLimit, inDocs } from './platform-routes.js';

/** Most calls one tRPC batch may carry; each counts against the rate limit. */
export const MAX_TRPC_BATCH = 20;

/**
 * Abuse limits in front of every API door: security headers, CORS for the configured origins, a
 * rate limit per API key (per client address without one) on every path but the platform's routes,
 * each call of a tRPC batch counted, and failed authentications limited per client address so
 * made-up keys can neither dodge the limit nor make the database look each one up for ever.
 */
export function applySecurity(app: Express, config: Config): void {
  app.set('trust proxy', config.TRUST_PROXY);
  // Swagger UI runs inline scripts; everything else gets the strict default policy.
  const docsHeaders = helmet({ contentSecurityPolicy: false });
  const strictHeaders = helmet();
  app.use((req, res, next) => (inDocs(req.path) ? docsHeaders : strictHeaders)(req, res, next));
  app.use(
    cors({
      origin: config.CORS_ORIGINS,
      allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'idempotency-key'],
      maxAge: 600,
    }),
  );
  const clientAddress = (req: Request) => `ip:${ipKeyGenerator(req.ip ?? '')}`;
  const tooMany = (limit: number, what: string) => (req: Request, res: Response) => {
    const message = `${what} of ${limit} per minute exceeded; retry after ${res.getHeader('retry-after')} s`;
    res.status(429).json(req.path.startsWith('/trpc/') ? trpcErrorBody(req, message) : { code: 'TOO_MANY_REQUESTS', message });
  };
  const perKey = rateLimit({
    windowMs: 60_000,
    limit: config.RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req: Request) => {
      const { apiKey } = requestContext(req);
      return apiKey ? `key:${hashApiKey(apiKey)}` : clientAddress(req);
    },
    handler: tooMany(config.RATE_LIMIT_PER_MINUTE, 'rate limit of requests'),
  });
  const authFailures = authFailureLimit(
    config.AUTH_FAILURES_PER_MINUTE,
    clientAddress,
    tooMany(config.AUTH_FAILURES_PER_MINUTE, 'limit of failed authentications'),
  );
  app.use((req, res, next) => {
    if (exemptFromRateLimit(req.path)) return next();
    authFailures(req, res, (err?: unknown) => (err ? next(err) : countEachCall(perKey, trpcCalls(req))(req, res, next)));
  });
}

/**
 * Counts, per client address, the answers that refused a key that was sent (each cost a lookup; a
 * missing key costs nothing and is limited per address above). Past the limit the address is refused
 * before any lookup. Counted when the answer is known, so a long-lived stream is never a failure.
 */
function authFailureLimit(
  limit: number,
  addressOf: (req: Request) => string,
  refuse: (req: Request, res: Response) => void,
): RequestHandler {
  const failures = new MemoryStore();
  failures.init({ windowMs: 60_000 } as Parameters<MemoryStore['init']>[0]);
  // Keys that authenticated lately: a locked address still serves them (merchants behind one NAT or
  // one dashboard are not locked out by whoever guesses keys beside them), without a lookup.
  const known = new Set<string>();
  const remember = (hash: string) => {
    known.delete(hash);
    known.add(hash);
    if (known.size > 10_000) known.delete(known.values().next().value!);
  };
  return (req, res, next) => {
    const address = addressOf(req);
    const { apiKey } = requestContext(req);
    const hash = apiKey ? hashApiKey(apiKey) : undefined;
    void failures.get(address).then((info) => {
      if (info && info.totalHits >= limit && !(hash && known.has(hash))) {
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? Date.now()) - Date.now()) / 1000))));
        return refuse(req, res);
      }
      res.on('finish', () => {
        if (!hash) return;
        if (res.statusCode === 401) {
          known.delete(hash);
          void failures.increment(address);
        } else if ((req as Request & { merchantId?: string }).merchantId) remember(hash); // the key named a merchant
      });
      next();
    }, next);
  };
}

/** The error as the tRPC client reads it: one per call of a batch. */
function trpcErrorBody(req: Request, message: string) {
  const error = { error: { message, code: -32029, data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 } } };
  return req.query.batch === '1' ? Array.from({ length: trpcCalls(req) }, () => error) : error;
}

/**
 * How many procedure calls a request makes, read as tRPC reads them: the last path segment,
 * decoded, split on commas (so `/trpc/x/a,b` and `a%2Cb` count as two, like the calls they are).
 */
function trpcCalls(req: Request): number {
  if (!req.path.startsWith('/trpc/')) return 1;
  let names = req.path.slice(req.path.lastIndexOf('/') + 1);
  try {
    names = decodeURIComponent(names);
  } catch {
    return 1;
  }
  return Math.max(1, Math.min(names.split(',').length, MAX_TRPC_BATCH));
}

/** Runs a limiter once per call, stopping at the first refusal (which has answered already). */
function countEachCall(limiter: RequestHandler, calls: number): RequestHandler {
  return (req, res, next: NextFunction) => {
    let counted = 0;
    const step = (err?: unknown) => {
      if (err) return next(err);
      if (++counted >= calls) return next();
      void limiter(req, res, step);
    };
    void limiter(req, res, step);
  };
}
