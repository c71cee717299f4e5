import { initTRPC, TRPCError, type inferProcedureBuilderResolverOptions } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { z, ZodError } from 'zod';
import type { Context } from './context.js';
import { DEMO_MERCHANT_ID } from '../db/schema.js';
import { unstorableInput } from '../common/input-guard.js';
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

/** A procedure's REST face; `successStatus` where it is not 200 (creations answer 201). */
export type RestMeta = OpenApiMeta & {
  successStatus?: 201;
  /** The body must hold at least one of these fields (a rule zod's refinements cannot put in the document). */
  bodyRequiresOneOf?: readonly string[];
};

/** What a client learns of an internal error; the details are in the log under its request id. */
export const INTERNAL_MESSAGE = 'internal error; it was logged with the request id';

const t = initTRPC
  .context<Context>()
  .meta<RestMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? error.cause : undefined;
      return {
        ...shape,
        // Internal details (SQL, parameters, stacks) stay in the log, never in a response.
        message: zodError ? describeZodError(zodError) : error.code === 'INTERNAL_SERVER_ERROR' ? INTERNAL_MESSAGE : shape.message,
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
  // A deliberate answer (404, 409, 504…) stands; only what escaped as an internal error is examined.
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const unavailable = asServiceUnavailable(result.error.cause ?? result.error);
    if (unavailable) throw unavailable;
  }
  return result;
});

/** Input the store would refuse is a 400 naming the field, before any schema or workflow sees it. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = unstorableInput(await getRawInput());
  // As a validation error, so every door reports it like any other: message and issues.
  if (problem) {
    // Raised through a schema: a ZodError built by hand is not an Error, and tRPC would wrap it.
    const { error } = z
      .unknown()
      .superRefine((_, ctx) => ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message }))
      .safeParse(undefined);
    throw new TRPCError({ code: 'BAD_REQUEST', cause: error });
  }
  return next();
});

/**
 * The merchant an API key names. Only where configured (the embedded default) does a request
 * without a key act as the demo merchant.
 */
export async function resolveMerchant(ctx: Context): Promise<string> {
  let merchantId: string | undefined;
  if (ctx.apiKey) merchantId = await merchantForKey(ctx.db, ctx.apiKey);
  else if (ctx.config.ANONYMOUS_AS_DEMO) merchantId = DEMO_MERCHANT_ID;
  if (!merchantId) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.apiKey ? 'the API key is unknown or revoked' : 'an API key is required: send it as X-API-Key or Authorization: Bearer',
    });
  }
  return merchantId;
}

const authenticate = t.middleware(async ({ ctx, next }) => {
  const merchantId = await resolveMerchant(ctx);
  ctx.onMerchant?.(merchantId);
  return next({ ctx: { ...ctx, merchantId, log: ctx.log.child({ merchantId }) } });
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
const guarded = t.procedure.use(infrastructureGuard);
export const publicProcedure = guarded.use(storableInput);
// Who asks is checked before what was sent: an unauthenticated caller learns nothing about the input rules.
export const merchantProcedure = guarded.use(authenticate).use(storableInput);
/** A request acting for one authenticated merchant: what `merchantProcedure` hands its resolver. */
export type MerchantContext = inferProcedureBuilderResolverOptions<typeof merchantProcedure>['ctx'];
export const createCallerFactory = t.createCallerFactory;
export { TRPCError };

/** The REST face of a procedure, served by the REST bridge and described in the OpenAPI document. */
export function rest(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: `/${string}`,
  summary: string,
  options: { description?: string; tag?: string; successStatus?: 201; bodyRequiresOneOf?: readonly string[] } = {},
): RestMeta {
  return {
    openapi: { method, path, summary, description: options.description, tags: [options.tag ?? 'payments'], protect: true },
    ...(options.successStatus ? { successStatus: options.successStatus } : {}),
    ...(options.bodyRequiresOneOf ? { bodyRequiresOneOf: options.bodyRequiresOneOf } : {}),
  };
}
