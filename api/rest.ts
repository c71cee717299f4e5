import type { Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { createOpenApiExpressMiddleware, generateOpenApiDocument } from 'trpc-to-openapi';
import { createContextInner, requestContext, type ApiDependencies } from './context.js';
import { legacyRouter } from './routers/legacy.js';
import { paymentMethodsRouter } from './routers/payment-methods.js';
import { paymentsRouter } from './routers/payments.js';
import { webhooksRouter } from './routers/webhooks.js';
import { MAX_BODY_BYTES } from './limits.js';
import { router } from './trpc.js';

/** Everything served as REST: the v1 API and the earlier Go system's contract, from one zod source. */
export const restRouter = router({ payments: paymentsRouter, paymentMethods: paymentMethodsRouter, webhooks: webhooksRouter, legacy: legacyRouter });

export function openApiDocument(baseUrl: string) {
  return generateOpenApiDocument(restRouter, {
    title: 'Payments API',
    version: '1.0.0',
    description:
      'Payments held for a delay, charged durably on Temporal, reported by webhook. ' +
      'Errors are JSON: `code` (stable, machine-readable), `message`, and for invalid input `issues` naming each field.',
    baseUrl,
  });
}

/**
 * Mounts the OpenAPI document, the docs UI and the REST bridge. The bridge parses bodies itself:
 * no express.json() in front, or malformed JSON would get Express's HTML error page.
 */
export function mountRest(app: Express, deps: ApiDependencies): void {
  const document = () => openApiDocument(`http://localhost:${deps.config.PORT}`);
  let cached: ReturnType<typeof document> | undefined;
  app.get('/api/v1/openapi.json', (req, res) => {
    cached ??= document();
    res.json({ ...cached, servers: [{ url: `${req.protocol}://${req.get('host')}` }] });
  });
  app.use('/api/v1/docs', swaggerUi.serve, swaggerUi.setup(undefined, { swaggerOptions: { url: '/api/v1/openapi.json' } }));
  app.use(
    createOpenApiExpressMiddleware({
      router: restRouter,
      createContext: ({ req }) => createContextInner(deps, requestContext(req)),
      maxBodySize: MAX_BODY_BYTES,
      onError({ error, path, req }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') (req.log ?? deps.logger).error({ err: error.cause ?? error, path }, 'request failed');
      },
    }),
  );
}
