import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../common/logger.js';
import { onError } from './http-door.js';

function capture() {
  const lines: unknown[] = [];
  return { lines, log: { error: (fields: unknown) => void lines.push(fields) } as unknown as Logger };
}

describe('onError, shared by the tRPC adapter and the REST bridge', () => {
  it("logs the cause of a failure whose answer hides it, on the request's own logger", () => {
    const process = capture();
    const request = capture();
    const req = { log: request.log } as unknown as IncomingMessage;
    const cause = new Error('relation "payments" does not exist');
    onError({ logger: process.log }, { error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause }), path: 'payments.list', req });
    onError(
      { logger: process.log },
      { error: new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'Postgres is unavailable' }), path: 'payments.get', req },
    );
    expect(request.lines).toEqual([
      { err: cause, path: 'payments.list' },
      { err: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }), path: 'payments.get' },
    ]);
    expect(process.lines).toEqual([]);
  });

  it('leaves client errors to the answer', () => {
    const process = capture();
    for (const code of ['BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'CONFLICT'] as const) {
      onError({ logger: process.log }, { error: new TRPCError({ code }), path: 'payments.get', req: {} as IncomingMessage });
    }
    expect(process.lines).toEqual([]);
  });
});
