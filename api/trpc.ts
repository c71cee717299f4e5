import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import type { Context } from './context.js';
import { DEMO_MERCHANT_ID } from '../db/schema.js';
import { asServiceUnavailable } from './infrastructure-errors.js';
import { merchantForKey } from './merchants.js';

/** `field: reason` for every problem, so a client knows exactly what to fix. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : 'input';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

const t = initTRPC.context<Context>().meta<OpenApiMeta>().create({
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : undefined;
    return {
      ...shape,
      message: zodError ? describeZodError(zodError) : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        fieldErrors: zodError ? zodError.flatten().fieldErrors : undefined,
      },
    };
  },
});

/** Database and Temporal outages become 503 with a retry hint instead of a 500. */
const infrastructureGuard = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const unavailable = asServiceUnavailable(result.error.cause ?? result.error);
    if (unavailable) throw unavailable;
  }
  return result;
});

/**
 * Every payment call acts for one merchant, named by its API key. Only where configured (the
 * embedded default) does a request without a key act as the demo merchant.
 */
const authenticate = t.middleware(async ({ ctx, next }) => {
  let merchantId: string | undefined;
  if (ctx.apiKey) merchantId = await merchantForKey(ctx.db, ctx.apiKey);
  else if (ctx.config.ANONYMOUS_AS_DEMO) merchantId = DEMO_MERCHANT_ID;
  if (!merchantId) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.apiKey ? 'the API key is unknown or revoked' : 'an API key is required: send it as X-API-Key or Authorization: Bearer',
    });
  }
  ctx.onMerchant?.(merchantId);
  return next({ ctx: { ...ctx, merchantId, log: ctx.log.child({ merchantId }) } });
});

export const router = t.router;
export const publicProcedure = t.procedure.use(infrastructureGuard);
export const merchantProcedure = publicProcedure.use(authenticate);
export const createCallerFactory = t.createCallerFactory;
export { TRPCError };

/** The REST face of a procedure, served by the OpenAPI bridge. */
export function rest(
  method: 'GET' | 'POST',
  path: `/${string}`,
  summary: string,
  options: { description?: string; tag?: string } = {},
): OpenApiMeta {
  return { openapi: { method, path, summary, description: options.description, tags: [options.tag ?? 'payments'], protect: true } };
}
