import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { inject } from 'vitest';
import type { PaymentWorkflowInput } from '../../common/workflow-api.js';
import type { Activities } from '../../worker/activities/index.js';
import { fakeActivities } from './fake-activities.js';

export interface WorkflowTestbed {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  /** Runs `body` with these activities serving the worker; tests in a file run one after another. */
  using<T>(activities: Activities, body: () => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * One time-skipping test server (the Java one, through the wrapper the global setup found) and one
 * worker for the calling test file: starting them per test would cost a second or more each. The
 * server's clock is its own and jumps over timers whenever a client waits on a result, so take
 * "now" from `env.currentTimeMs()`, never from the wall clock.
 */
export async function startWorkflowTestbed(): Promise<WorkflowTestbed> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    // Scripted activity failures are the point of many tests, and the test server lacks a capability
    // core warns about once: neither is news. Everything else at WARN and above still shows.
    Runtime.install({
      logger: new DefaultLogger('WARN', (entry) => {
        if (entry.message === 'Activity failed') return;
        console.warn(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
      }),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
      shutdownSignals: [],
    });
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  let current: Activities | undefined;
  // The worker's activities forward to the running test's fakes (same names as the real ones).
  const forwarding = Object.fromEntries(
    Object.keys(fakeActivities().activities).map((name) => [
      name,
      (...args: unknown[]) => {
        if (!current) throw new Error(`activity ${name} called outside a test`);
        return (current[name as keyof Activities] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as Activities;
  const taskQueue = `workflow-test-${process.pid}`;
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: forwarding,
    });
    const running = worker.run();
    return {
      env,
      taskQueue,
      async using(activities, body) {
        current = activities;
        try {
          return await body();
        } finally {
          current = undefined;
        }
      },
      async teardown() {
        worker.shutdown();
        await running;
        await env.teardown();
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}

let paymentCounter = 0;

/** A valid payment as the API would start it, created at the test server's current time. */
export async function paymentInput(
  env: TestWorkflowEnvironment,
  overrides: Partial<PaymentWorkflowInput> = {},
): Promise<PaymentWorkflowInput> {
  return {
    paymentId: `pay_wf${process.pid}x${++paymentCounter}x${Date.now()}`,
    merchantId: 'mer_test',
    paymentMethodId: null,
    reference: `PAY-WF-${paymentCounter}`,
    amount: 1234,
    currency: 'EUR',
    delaySeconds: 0,
    webhookUrl: null,
    data: {},
    metadata: {},
    description: null,
    createdAt: await env.currentTimeMs(),
    ...overrides,
  };
}

/** Polls with a deadline (wall time), for conditions that the worker makes true asynchronously. */
export async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
