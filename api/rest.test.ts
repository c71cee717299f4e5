import { describe, expect, it } from 'vitest';
import { openApiDocument, restRouter } from './rest.js';
import { appRouter } from './router.js';
import type { RestMeta } from './trpc.js';

type Procedures = Record<string, { _def: { type: string; meta?: RestMeta } }>;
const restFaces = (procedures: Procedures) =>
  Object.entries(procedures).flatMap(([name, p]) =>
    p._def.meta?.openapi ? [`${p._def.meta.openapi.method} ${p._def.meta.openapi.path} ${name}`] : [],
  );

describe('REST routes come from the routers', () => {
  it('every query and mutation of the app router is also a REST route (subscriptions cannot be)', () => {
    const procedures = appRouter._def.procedures as unknown as Procedures;
    const withoutRest = Object.entries(procedures).filter(([, p]) => p._def.type !== 'subscription' && !p._def.meta?.openapi);
    expect(withoutRest.map(([name]) => name)).toEqual([]);
  });

  it('the REST router serves every REST face of the app router, and the Go contract', () => {
    const app = restFaces(appRouter._def.procedures as unknown as Procedures);
    const rest = restFaces(restRouter._def.procedures as unknown as Procedures);
    expect(rest).toEqual(expect.arrayContaining(app));
    expect(rest.filter((r) => !app.includes(r)).map((r) => r.split(' ').slice(0, 2).join(' '))).toEqual([
      'POST /payment',
      'GET /payment/{id}',
      'POST /payment/{id}/cancel',
      'GET /payments',
    ]);
  });

  it('the OpenAPI document describes each REST route once', () => {
    const document = openApiDocument('http://localhost');
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = restFaces(restRouter._def.procedures as unknown as Procedures).map((r) => r.split(' ').slice(0, 2).join(' '));
    expect(operations.sort()).toEqual(routes.sort());
  });
});
