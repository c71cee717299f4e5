import { connectorsRouter } from './routers/connectors.js';
import { eventsRouter } from './routers/events.js';
import { merchantsRouter } from './routers/merchants.js';
import { paymentMethodsRouter } from './routers/payment-methods.js';
import { paymentsRouter } from './routers/payments.js';
import { webhooksRouter } from './routers/webhooks.js';
import { router } from './trpc.js';

export const appRouter = router({
  payments: paymentsRouter,
  paymentMethods: paymentMethodsRouter,
  webhooks: webhooksRouter,
  merchants: merchantsRouter,
  events: eventsRouter,
  connectors: connectorsRouter,
});

/** The API's type: the dashboard and other TypeScript services get every input and output from it. */
export type AppRouter = typeof appRouter;
