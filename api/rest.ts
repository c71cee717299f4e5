import type { Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { oas31 } from 'zod-openapi';
import { ZodObject, type ZodType } from 'zod';
import type { ApiDependencies } from './context.js';
import { legacyRouter } from './routers/legacy.js';
import { DOCS_PATH, OPENAPI_PATH } from './platform-routes.js';
import { createRestBridge } from './rest-bridge.js';
import { appRouter } from './router.js';
import { mergeRouters, router, type RestMeta } from './trpc.js';

/**
 * Everything served as REST: every procedure of the app router that carries REST meta, plus the
 * earlier Go system's contract, which only REST serves. A procedure added to the app router with
 * `rest(…)` meta is a REST route and in the OpenAPI document, with nothing else to list.
 */
export const restRouter = mergeRouters(appRouter, router({ legacy: legacyRouter }));

type SchemaObject = oas31.SchemaObject;

const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Every error of the REST doors.',
  properties: {
    code: { type: 'string', description: 'Stable and machine-readable, e.g. BAD_REQUEST, NOT_FOUND, CONFLICT', example: 'BAD_REQUEST' },
    message: {
      type: 'string',
      description: 'What went wrong and what to do, naming each field',
      example: 'amount: must be greater than 0',
    },
    issues: {
      type: 'array',
      description: 'For invalid input: one entry per field and rule',
      items: {
        type: 'object',
        properties: {
          path: {
            type: 'array',
            items: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
            description: 'The field, as a path from the body or query',
          },
          message: { type: 'string' },
        },
        required: ['path', 'message'],
        additionalProperties: false,
      },
    },
  },
  required: ['code', 'message'],
  additionalProperties: false,
};

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input: `message` and `issues` name each field and rule',
  '401': 'No API key, or an unknown or revoked one',
  '404': 'No such resource for this merchant',
  '409': 'Conflicts with the resource as it is (e.g. not pending any more, an Idempotency-Key reused with another body)',
  '413': 'The body is larger than 64 KiB',
  '415': 'A body that is not application/json',
  '422':
    'Refers to something the merchant does not have (e.g. a payment method), or fields that contradict each other (e.g. minAmount above maxAmount)',
  '429': 'Rate limit exceeded; see Retry-After',
  '500': 'Internal error (details are logged, never returned)',
  '503': 'Postgres or Temporal is unavailable; retry shortly',
  '504': 'The workflow did not answer within the bound; the outcome is unknown, read the payment again',
};

/**
 * The document tells what the bridge does: one error schema, every status a route can answer,
 * the API key as a header or a bearer token, and 201 where a route creates.
 */
export function openApiDocument(baseUrl: string) {
  const { router: scalarRouter, objectParams } = withScalarQueries(restRouter);
  const document = generateOpenApiDocument(scalarRouter, {
    title: 'Payments API',
    version: '1.0.0',
    description:
      'Payments held for a delay, charged durably on Temporal, reported by webhook. ' +
      'Errors are JSON: `code` (stable, machine-readable), `message`, and for invalid input `issues` naming each field. ' +
      'Everywhere: no string or object key may contain U+0000 (NUL) or an unpaired UTF-16 surrogate, JSON is nested at most ' +
      '32 levels deep, and free text (descriptions, labels, metadata values, strings in `data`) may not hold a card number.',
    baseUrl,
  });
  const procedures = restRouter._def.procedures as unknown as Record<string, { _def: { meta?: RestMeta } }>;
  const oneOfRequired = new Map<string, readonly string[]>(
    Object.values(procedures).flatMap(({ _def: { meta } }) =>
      meta?.bodyRequiresOneOf ? [[`${meta.openapi?.method} ${meta.openapi?.path}`, meta.bodyRequiresOneOf] as const] : [],
    ),
  );
  const successOf = new Map(
    Object.values(procedures).map(({ _def: { meta } }) => [`${meta?.openapi?.method} ${meta?.openapi?.path}`, meta?.successStatus ?? 200]),
  );
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(
      operations as Record<string, { responses: Record<string, unknown>; security?: unknown }>,
    )) {
      const ok = operation.responses['200'];
      const statuses = ['400', '401', '429', '500', '503'];
      if (path.includes('{')) statuses.push('404');
      if (method === 'post' || method === 'patch') statuses.push('409', '413', '415', '422', '504');
      operation.responses = {
        [String(successOf.get(`${method.toUpperCase()} ${path}`) ?? 200)]: ok,
        ...Object.fromEntries(statuses.sort().map((s) => [s, errorResponse(ERROR_STATUSES[s]!)])),
      };
      operation.security = [{ ApiKey: [] }, { Bearer: [] }];
      // Every body may be left out (a body-less POST is an empty object); it is required only when
      // its schema requires a field.
      const body = (operation as { requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: string[] } }> } })
        .requestBody;
      if (body) body.required = Boolean(body.content?.['application/json']?.schema?.required?.length);
      const oneOf = oneOfRequired.get(`${method.toUpperCase()} ${path}`);
      const bodySchema = body?.content?.['application/json']?.schema as Record<string, unknown> | undefined;
      if (body && bodySchema && oneOf) {
        bodySchema.anyOf = oneOf.map((field) => ({ required: [field] }));
        body.required = true;
      }
      const extra = objectParams.get(`${method.toUpperCase()} ${path}`) ?? [];
      (operation as { parameters?: unknown[] }).parameters = [...((operation as { parameters?: unknown[] }).parameters ?? []), ...extra];
    }
  }
  document.components = {
    ...document.components,
    schemas: {
      ...Object.fromEntries(Object.entries(document.components?.schemas ?? {}).filter(([name]) => !name.startsWith('error.'))),
      Error: ERROR_SCHEMA,
    },
    securitySchemes: {
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A merchant API key, sk_…' },
      Bearer: { type: 'http', scheme: 'bearer', description: 'The same key as a bearer token' },
    },
  };
  return document;
}

/**
 * trpc-to-openapi describes only scalar query parameters. Object filters (`metadata[key]=value`)
 * are taken out for its generator and described here as OpenAPI deepObject parameters, which is
 * how the REST bridge reads them.
 */
function withScalarQueries(rest: typeof restRouter) {
  type Procedure = { _def: { meta?: RestMeta; inputs: ZodType[] } };
  const objectParams = new Map<string, unknown[]>();
  const procedures = Object.fromEntries(
    Object.entries(rest._def.procedures as unknown as Record<string, Procedure>).map(([name, procedure]) => {
      const meta = procedure._def.meta?.openapi;
      const input = procedure._def.inputs[0];
      if (meta?.method !== 'GET' || !(input instanceof ZodObject || input?.def.type === 'prefault')) return [name, procedure];
      const object = (input instanceof ZodObject ? input : (input.def as unknown as { innerType: ZodObject }).innerType) as ZodObject;
      const objectKeys = Object.entries(object.shape).filter(
        ([, field]) =>
          (field as ZodType).def.type === 'optional' && (field as unknown as { unwrap(): ZodType }).unwrap().def.type === 'record',
      );
      if (!objectKeys.length) return [name, procedure];
      objectParams.set(
        `${meta.method} ${meta.path}`,
        objectKeys.map(([key, field]) => ({
          name: key,
          in: 'query',
          style: 'deepObject',
          explode: true,
          description: (field as ZodType).description,
          schema: { type: 'object', additionalProperties: { type: 'string' } },
        })),
      );
      const scalar = object.omit(Object.fromEntries(objectKeys.map(([key]) => [key, true])) as Record<string, true>);
      return [name, { ...procedure, _def: { ...procedure._def, inputs: [scalar] } }];
    }),
  );
  return { router: { ...rest, _def: { ...rest._def, procedures } } as unknown as typeof rest, objectParams };
}

/** Mounts the OpenAPI document, the docs UI and the REST bridge (which answers every other path). */
export function mountRest(app: Express, deps: ApiDependencies): void {
  const document = () => openApiDocument(`http://localhost:${deps.config.PORT}`);
  let cached: ReturnType<typeof document> | undefined;
  // The server is this origin, whatever it is called: a Host header never ends up in a cached document.
  app.get(OPENAPI_PATH, (_req, res) => {
    cached ??= document();
    res.json({ ...cached, servers: [{ url: '/' }] });
  });
  app.use(DOCS_PATH, swaggerUi.serve, swaggerUi.setup(undefined, { swaggerOptions: { url: OPENAPI_PATH } }));
  app.use(createRestBridge(restRouter, deps));
}
