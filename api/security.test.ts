import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../common/config.js';
import { DOCS_PATH, HEALTH_PATH, METRICS_PATH, OPENAPI_PATH, READY_PATHS } from './platform-routes.js';
import { applySecurity } from './security.js';

/** The rate limit is on for every path, including ones no one has written yet; only the platform's routes are exempt. */
const LIMIT = 2;
let base: string;
let close: () => void;
beforeAll(async () => {
  const app = express();
  applySecurity(app, parseConfig({ RATE_LIMIT_PER_MINUTE: String(LIMIT) }));
  app.use((_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close?.());

/** Statuses of LIMIT + 1 calls, each from its own client address so paths do not share a budget. */
async function statuses(path: string, client: number): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i <= LIMIT; i++) results.push((await fetch(base + path, { headers: { 'x-api-key': `sk_client_${client}` } })).status);
  return results;
}

describe('rate limit', () => {
  it('applies to any path not declared as a platform route', async () => {
    const limited = ['/a/route/added/later', '/api/v1/payments', '/trpc/payments.list', `${DOCS_PATH}X/..%2fpayments`];
    for (const [i, path] of limited.entries()) expect(await statuses(path, i), path).toEqual([200, 200, 429]);
  });

  it('does not apply to the platform routes', async () => {
    const exempt = [HEALTH_PATH, ...READY_PATHS, METRICS_PATH, OPENAPI_PATH, DOCS_PATH, `${DOCS_PATH}/swagger-ui.css`];
    for (const [i, path] of exempt.entries()) expect(await statuses(path, 100 + i), path).toEqual([200, 200, 200]);
  });
});
