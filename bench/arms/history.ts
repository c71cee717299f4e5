import type { Client } from '@temporalio/client';
import { BARE_QUEUE, type BenchEnvironment } from '../environment.js';
import { BARE_WORKFLOW, createPayment, type RunLedger } from '../payments.js';
import { median, round } from '../stats.js';

/**
 * 2. Temporal work per payment: history events and state transitions of a finished payment (delay 0,
 * with a webhook) against B0's minimal validate → charge → webhook, both from describe().
 */
export async function measureHistory(env: BenchEnvironment, ledger: RunLedger, samples: number) {
  const ours = [];
  const bare = [];
  for (let i = 0; i < samples; i++) {
    const id = await createPayment(env, ledger, 'rest', { amount: 100, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url });
    await env.temporal.workflow.getHandle(id).result();
    ours.push(await temporalWork(env.temporal, id));
    const handle = await env.temporal.workflow.start(BARE_WORKFLOW, {
      taskQueue: BARE_QUEUE,
      workflowId: `bare-history-${Date.now()}-${i}`,
      args: [0],
    });
    await handle.result();
    bare.push(await temporalWork(env.temporal, handle.workflowId));
  }
  const events = { ours: median(ours.map((w) => w.events)), bare: median(bare.map((w) => w.events)) };
  const transitions = { ours: median(ours.map((w) => w.transitions)), bare: median(bare.map((w) => w.transitions)) };
  return {
    events,
    transitions,
    eventsRatio: round(events.ours / events.bare),
    transitionsRatio: round(transitions.ours / transitions.bare),
    timersWithDelay0: Math.max(...ours.map((w) => w.timers)),
  };
}

async function temporalWork(client: Client, workflowId: string) {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  return {
    events: description.historyLength,
    transitions: Number(description.raw.workflowExecutionInfo?.stateTransitionCount ?? NaN),
    timers: (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length,
  };
}
