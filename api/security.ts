import type { Express, Request } from 'express';
import cors from 'cors';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Config } from '../common/config.js';
import { requestContext } from './context.js';
import { hashApiKey } from './merchants.js';

/**
 * Abuse limits in front of every API door: security headers, CORS for the configured origins,
 * and a per-key rate limit (per client address for requests without a key).
 */
export function applySecurity(app: Express, config: Config): void {
  // Swagger UI runs inline scripts; everything else gets the strict default policy.
  const docsHeaders = helmet({ contentSecurityPolicy: false });
  const strictHeaders = helmet();
  app.use((req, res, next) => (req.path.startsWith('/api/v1/docs') ? docsHeaders : strictHeaders)(req, res, next));
  app.use(
    cors({
      origin: config.CORS_ORIGINS,
      allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'idempotency-key'],
      maxAge: 600,
    }),
  );
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: config.RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req: Request) => {
      const { apiKey } = requestContext(req);
      return apiKey ? `key:${hashApiKey(apiKey)}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (_req, res) => {
      res.status(429).json({
        code: 'TOO_MANY_REQUESTS',
        message: `rate limit of ${config.RATE_LIMIT_PER_MINUTE} requests per minute exceeded; retry after ${res.getHeader('retry-after')} s`,
      });
    },
  });
  // Health probes and docs are not rate limited; the API doors are.
  app.use(
    ['/trpc', '/api/v1/payments', '/api/v1/payment-methods', '/api/v1/stats', '/api/v1/webhook-endpoints', '/api/v1/webhook-messages', '/api/v1/webhook-notices', '/payment', '/payments'],
    limiter,
  );
}
