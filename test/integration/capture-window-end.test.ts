/**
 * Regression (issue 19 review): capture and cancel fired right at the end of a short capture window.
 * Each answer is 200 or 409 (never 5xx), and the final state agrees with the answer that won.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ env: { CAPTURE_WINDOW: '2s' } });
});
afterAll(async () => {
  await system?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as any, text, at: Date.now() };
}

describe('capture at the window end', () => {
  it('captures and cancels every 100 ms across the expiry: 200/409 only, final state matches the winner', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await call('POST', '/api/v1/payments', { amount: 700, currency: 'EUR', delaySeconds: 0, captureMethod: 'manual' });
      const id = created.body.id as string;
      const row = await waitFor(async () => {
        const p = (await call('GET', `/api/v1/payments/${id}`)).body;
        return p.status === 'requires_capture' && p;
      }, 'requires_capture');
      const end = Date.parse(row.captureBefore);
      const answers: Array<{ kind: string; status: number; text: string }> = [];
      const shots: Array<Promise<void>> = [];
      // From 300 ms before to 300 ms after the end.
      for (let t = end - 300; t <= end + 300; t += 100) {
        const wait = Math.max(0, t - Date.now());
        const kind = (t / 100) % 3 === 0 ? 'cancel' : 'capture';
        shots.push(
          new Promise<void>((resolve) => setTimeout(resolve, wait)).then(async () => {
            const r = await call('POST', `/api/v1/payments/${id}/${kind}`, kind === 'cancel' ? { reason: 'late' } : { amount: 500 });
            answers.push({ kind, status: r.status, text: r.text });
          }),
        );
      }
      await Promise.all(shots);
      const final = await waitFor(async () => {
        const p = (await call('GET', `/api/v1/payments/${id}`)).body;
        return p.status !== 'requires_capture' && p;
      }, 'final');
      for (const a of answers) expect([200, 409], `${a.kind}: ${a.text}`).toContain(a.status);
      const won = answers.filter((a) => a.status === 200);
      expect(won.length, JSON.stringify(answers)).toBeLessThanOrEqual(1);
      if (won[0]?.kind === 'capture') expect(final).toMatchObject({ status: 'completed', capturedAmount: 500 });
      else expect(final.status).toBe('canceled');
      // A 409 at expiry should say the authorization expired, not that someone captures it.
      if (final.status === 'canceled' && won.length === 0) {
        for (const a of answers) expect(a.text, `${a.kind} refused at expiry`).not.toMatch(/being captured/);
      }
    }
  }, 60_000);
});
