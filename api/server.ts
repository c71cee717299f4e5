import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express from 'express';
import { sql } from 'drizzle-orm';
import type { ApiDependencies } from './context.js';
import { createContext, onError } from './http-door.js';
import { MAX_BODY_BYTES } from './limits.js';
import { mountRest } from './rest.js';
import { applyObservability } from './observability.js';
import { HEALTH_PATH, READY_PATHS } from './platform-routes.js';
import { applySecurity, MAX_TRPC_BATCH } from './security.js';
import { appRouter } from './router.js';
import { INTERNAL_MESSAGE } from './trpc.js';

export function createApiApp(deps: ApiDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // `/TRPC/…` must not reach tRPC around the limits that look for `/trpc/`.
  app.set('case sensitive routing', true);
  applyObservability(app, deps.logger, {
    procedures: new Set(Object.keys(appRouter._def.procedures)),
    metricsToken: deps.config.METRICS_TOKEN,
  });
  applySecurity(app, deps.config);

  app.get(HEALTH_PATH, (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready means reads can be served: they need only Postgres. With Temporal down the API stays in the
  // load balancer (`degraded`) and answers mutations with a 503 that says so.
  app.get([...READY_PATHS], async (_req, res) => {
    const checks = await readiness(deps);
    const ready = checks.postgres === 'ok';
    res.status(ready ? 200 : 503).json({ status: !ready ? 'unavailable' : checks.temporal === 'ok' ? 'ready' : 'degraded', checks });
  });

  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req }) => createContext(deps, req),
      maxBodySize: MAX_BODY_BYTES,
      maxBatchSize: MAX_TRPC_BATCH,
      onError: ({ error, path, req }) => onError(deps, { error, path, req }),
    }),
  );

  // Last: the REST bridge answers every other path, with a JSON 404 for unknown ones.
  mountRest(app, deps);
  // Whatever escapes a handler is JSON without internals, never Express's HTML page with a stack.
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = Number((err as { status?: unknown }).status) || 500;
    (req.log ?? deps.logger).error({ err }, 'request failed outside a route');
    if (res.headersSent) return res.end();
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .json(
        status < 500
          ? { code: 'BAD_REQUEST', message: 'the request could not be read' }
          : { code: 'INTERNAL_SERVER_ERROR', message: INTERNAL_MESSAGE },
      );
  });
  return app;
}

/** Postgres and Temporal each answer within a bound, or the reason is reported. */
async function readiness(deps: ApiDependencies): Promise<Record<'postgres' | 'temporal', string>> {
  const within = <T>(ms: number, p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await within(2000, probe());
      return 'ok';
    } catch (err) {
      return `error: ${(err as Error).message.split('\n')[0]}`;
    }
  };
  const [postgres, temporal] = await Promise.all([
    check(() => deps.db.execute(sql`select 1`)),
    check(() => deps.temporal.workflowService.getSystemInfo({})),
  ]);
  return { postgres, temporal };
}
