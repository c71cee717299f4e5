import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { TRPCError, type AnyTRPCProcedure, type AnyTRPCRouter } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { ZodError, type ZodType } from 'zod';
import type { ApiDependencies } from './context.js';
import { createContext, onError } from './http-door.js';
import { MAX_BODY_BYTES } from './limits.js';
import { asServiceUnavailable } from './infrastructure-errors.js';
import { INTERNAL_MESSAGE, describeZodError, resolveMerchant, type RestMeta } from './trpc.js';

/**
 * Serves the procedures that carry REST meta at their paths. Written here rather than taken from
 * trpc-to-openapi's adapter, which coerces body fields (`"amount": true` became 1) by setting
 * `coerce` on the shared schemas in place, so every door coerced after the first REST request;
 * demanded a content type on body-less POSTs (the Go contract's `curl -X POST …/cancel`); and
 * answered errors in a shape its own document did not describe.
 *
 * Bodies are parsed as JSON and never coerced; query strings are converted only where the schema
 * documents a number or a boolean; an empty POST body is an empty object.
 */

interface RestRoute {
  method: string;
  template: string;
  pattern: RegExp;
  params: string[];
  procedurePath: string;
  procedure: AnyTRPCProcedure;
  successStatus: number;
}

export interface RestError {
  code: string;
  message: string;
  issues?: Array<{ path: Array<string | number>; message: string }>;
}

function routesOf(router: AnyTRPCRouter): RestRoute[] {
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure>;
  return Object.entries(procedures).flatMap(([procedurePath, procedure]) => {
    const meta = procedure._def.meta as RestMeta | undefined;
    if (!meta?.openapi) return [];
    const params: string[] = [];
    const source = meta.openapi.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
    return [
      {
        method: meta.openapi.method,
        template: meta.openapi.path,
        pattern: new RegExp(`^${source}/?$`),
        params,
        procedurePath,
        procedure,
        successStatus: meta.successStatus ?? 200,
      },
    ];
  });
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createRestBridge(router: AnyTRPCRouter, deps: ApiDependencies): RequestHandler {
  const routes = routesOf(router);
  const createCaller = (router as AnyTRPCRouter & { createCaller: (ctx: unknown) => unknown }).createCaller;

  return async (req: Request, res: Response) => {
    let route: RestRoute | undefined;
    try {
      // Routes match the path as sent: never a normalised one (`/x/%2e%2e/payments` is not `/payments`).
      const [pathname = '/', search = ''] = req.originalUrl.split(/\?(.*)/s);
      const url = { pathname, searchParams: new URLSearchParams(search) };
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      route = candidates.find((r) => r.method === req.method || (req.method === 'HEAD' && r.method === 'GET'));
      if (!route) {
        if (candidates.length) {
          res.setHeader('allow', [...new Set(candidates.map((r) => r.method))].join(', '));
          throw new HttpProblem(
            405,
            'METHOD_NOT_SUPPORTED',
            `${req.method} is not supported on ${url.pathname}; use ${candidates.map((r) => r.method).join(' or ')}`,
          );
        }
        throw new HttpProblem(404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`);
      }
      res.locals.routeLabel = route.template;
      const ctx = createContext(deps, req);
      const match = route.pattern.exec(url.pathname)!;
      const matched = route;
      const pathInput = Object.fromEntries(route.params.map((name, i) => [name, decodePathSegment(match[i + 1]!, name)]));
      let input: Record<string, unknown>;
      if (matched.method === 'GET') {
        input = queryInput(url.searchParams, inputSchema(matched.procedure));
      } else {
        const body = await readBody(req);
        const type = req.headers['content-type'];
        if (body.length > 0 && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
          // Who asks matters more than how: an unauthenticated caller learns nothing about the route.
          await resolveMerchant(ctx);
          throw new HttpProblem(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `the body must be JSON sent as content-type application/json${type ? `, not ${type}` : ''}`,
          );
        }
        input = body.length > 0 ? parseJsonObject(body) : {};
      }
      Object.assign(input, pathInput);
      const procedures = matched.procedurePath.split('.');
      const fn = procedures.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], createCaller(ctx)) as (
        input: unknown,
      ) => Promise<unknown>;
      const hasInput = (matched.procedure._def.inputs as unknown[]).length > 0;
      const data = await fn(hasInput ? input : undefined);
      res.status(matched.successStatus).json(data);
    } catch (err) {
      const failure = notFoundForPathIds(err, route);
      if (!(failure instanceof HttpProblem)) onError(deps, { error: asTrpcError(failure), path: route?.procedurePath, req });
      const { status, body } = restError(failure);
      res.status(status).json(body);
    }
  };
}

/**
 * A path segment that cannot be an id of ours names no resource: 404, as for an unknown id of the
 * right form (what a REST client expects, and the Go system's `/payment/{uuid}` answered).
 */
function notFoundForPathIds(err: unknown, route: RestRoute | undefined): unknown {
  if (!route?.params.length || !(err instanceof TRPCError) || !(err.cause instanceof ZodError)) return err;
  const issues = err.cause.issues;
  if (!issues.length || !issues.every((i) => route.params.includes(String(i.path[0])))) return err;
  return new HttpProblem(
    404,
    'NOT_FOUND',
    `no resource at ${route.template.replace(/\{(\w+)\}/g, '…')} with that ${String(issues[0]!.path[0])}`,
  );
}

/** A failure as the tRPC error it answers as. Outside a procedure (the authentication before a 415), an outage is still a 503. */
function asTrpcError(err: unknown): TRPCError {
  return err instanceof TRPCError ? err : (asServiceUnavailable(err) ?? new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: err }));
}

/** The one error shape of the REST doors, described by the OpenAPI document's `Error` schema. */
export function restError(err: unknown): { status: number; body: RestError } {
  if (err instanceof HttpProblem) return { status: err.status, body: { code: err.code, message: err.message } };
  const error = asTrpcError(err);
  const status = getHTTPStatusCodeFromError(error);
  if (error.cause instanceof ZodError) {
    return {
      status,
      body: {
        code: error.code,
        message: describeZodError(error.cause),
        issues: error.cause.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message })),
      },
    };
  }
  // Internal details (SQL, parameters, stacks) stay in the log.
  const message =
    status >= 500 && error.code !== 'SERVICE_UNAVAILABLE' && error.code !== 'GATEWAY_TIMEOUT' ? INTERNAL_MESSAGE : error.message;
  return { status, body: { code: error.code, message } };
}

function decodePathSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpProblem(400, 'BAD_REQUEST', `${name}: is not a valid URL path segment`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const tooLarge = () => new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, 'PARSE_ERROR', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new HttpProblem(400, 'BAD_REQUEST', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

type ZodDef = { type: string; innerType?: ZodType; in?: ZodType; shape?: Record<string, ZodType> };
const defOf = (schema: ZodType) => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/** Strips optional/default/prefault/nullable/pipe wrappers to reach the schema that decides the type. */
function unwrap(schema: ZodType): ZodType {
  for (let def = defOf(schema); ; def = defOf(schema)) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return schema;
    schema = inner;
  }
}

function inputSchema(procedure: AnyTRPCProcedure): Record<string, ZodType> {
  const [schema] = procedure._def.inputs as ZodType[];
  return schema ? (defOf(unwrap(schema)).shape ?? {}) : {};
}

/** Keys that would reach an object's prototype instead of the object. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Query strings carry only text: a value becomes a number or boolean only where the field is one
 * and the text spells it exactly, so `limit=0x10` stays text and fails validation by name.
 * `metadata[key]=value` builds an object, a repeated key a list.
 */
export function queryInput(params: URLSearchParams, shape: Record<string, ZodType>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (UNSAFE_KEYS.has(key)) throw new HttpProblem(400, 'BAD_REQUEST', `${key}: is not allowed as a query parameter name`);
    if (!Object.hasOwn(target, key)) target[key] = value;
    else target[key] = [...[target[key]].flat(), value];
  };
  for (const [rawKey, text] of params) {
    // The key is everything between the first `[` and the final `]`: a key may itself hold a bracket.
    const nested = /^(\w+)\[(.*)\]$/s.exec(rawKey);
    if (nested) {
      const [, outer, inner] = nested as unknown as [string, string, string];
      if (UNSAFE_KEYS.has(outer)) throw new HttpProblem(400, 'BAD_REQUEST', `${outer}: is not allowed as a query parameter name`);
      const object = (Object.hasOwn(input, outer) ? input[outer] : (input[outer] = {})) as Record<string, unknown>;
      if (typeof object === 'object' && !Array.isArray(object)) put(object, inner, text);
      continue;
    }
    const field = shape[rawKey];
    const kind = field ? defOf(unwrap(field)).type : undefined;
    let value: unknown = text;
    if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(text)) value = Number(text);
    if (kind === 'boolean' && (text === 'true' || text === 'false')) value = text === 'true';
    put(input, rawKey, value);
  }
  return input;
}
