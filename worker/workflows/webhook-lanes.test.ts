import { describe, expect, it } from 'vitest';
import type { WebhookMessageRef } from '../../common/workflow-api.js';
import { WebhookLanes } from './webhook-lanes.js';

/** A delivery the test finishes by hand, so it can queue more while a lane is busy. */
function manualDeliveries() {
  const log: string[] = [];
  const finish = new Map<string, () => void>();
  const deliver = (message: WebhookMessageRef) => {
    log.push(`start ${message.id}`);
    return new Promise<void>((resolve) => finish.set(message.id, () => (log.push(`done ${message.id}`), resolve())));
  };
  return { log, finish, deliver };
}

const settleMicrotasks = () => new Promise((resolve) => setImmediate(resolve));

describe('WebhookLanes', () => {
  it('sends one lane in order and lanes side by side', async () => {
    const { log, finish, deliver } = manualDeliveries();
    const lanes = new WebhookLanes(deliver);
    lanes.enqueue([
      { id: 'a1', lane: 'a' },
      { id: 'a2', lane: 'a' },
      { id: 'b1', lane: 'b' },
    ]);
    await settleMicrotasks();
    expect(log).toEqual(['start a1', 'start b1']);
    finish.get('a1')!();
    await settleMicrotasks();
    expect(log).toEqual(['start a1', 'start b1', 'done a1', 'start a2']);
  });

  it('drain waits for a message queued behind a busy lane while draining', async () => {
    const { log, finish, deliver } = manualDeliveries();
    const lanes = new WebhookLanes(deliver);
    lanes.enqueue([{ id: 'a1', lane: 'a' }]);
    let drained = false;
    const draining = lanes.drain().then(() => (drained = true));
    await settleMicrotasks();
    // Same lane, so the number of lanes does not change: only the number of messages does.
    lanes.enqueue([{ id: 'a2', lane: 'a' }]);
    finish.get('a1')!();
    await settleMicrotasks();
    expect(log).toContain('start a2');
    expect(drained).toBe(false);
    finish.get('a2')!();
    await draining;
    expect(log.at(-1)).toBe('done a2');
  });

  it('drain throws a lane failure; settle waits for the other lanes regardless', async () => {
    const failing = (message: WebhookMessageRef) =>
      message.lane === 'bad' ? Promise.reject(new Error(`refused ${message.id}`)) : Promise.resolve();
    const drained = new WebhookLanes(failing);
    drained.enqueue([
      { id: 'x', lane: 'bad' },
      { id: 'y', lane: 'good' },
    ]);
    await expect(drained.drain()).rejects.toThrow('refused x');

    const { log, finish, deliver } = manualDeliveries();
    const settled = new WebhookLanes((m) => (m.lane === 'bad' ? Promise.reject(new Error('refused')) : deliver(m)));
    settled.enqueue([
      { id: 'x', lane: 'bad' },
      { id: 'y', lane: 'good' },
    ]);
    let done = false;
    const settling = settled.settle().then(() => (done = true));
    await settleMicrotasks();
    expect(done).toBe(false);
    finish.get('y')!();
    await settling;
    expect(log).toEqual(['start y', 'done y']);
  });
});
