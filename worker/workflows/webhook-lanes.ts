import type { WebhookMessageRef } from '../../common/workflow-api.js';

/**
 * One lane per receiver: its messages go out in event order (each waits for the one before),
 * lanes run side by side. A lane whose delivery throws skips its later messages and makes
 * `drain` throw.
 */
export class WebhookLanes {
  private readonly lanes = new Map<string, Promise<void>>();
  /** Counts messages, not lanes: a message queued behind another on a busy lane must be waited for too. */
  private enqueued = 0;

  constructor(private readonly deliver: (message: WebhookMessageRef) => Promise<void>) {}

  enqueue(messages: WebhookMessageRef[]): void {
    for (const message of messages) {
      const previous = this.lanes.get(message.lane) ?? Promise.resolve();
      this.lanes.set(
        message.lane,
        previous.then(() => this.deliver(message)),
      );
      this.enqueued += 1;
    }
  }

  /** Waits until every message is delivered, including those a delivery queues; throws a lane's failure. */
  async drain(): Promise<void> {
    for (let seen = -1; seen !== this.enqueued;) {
      seen = this.enqueued;
      await Promise.all(this.lanes.values());
    }
  }

  /** Like `drain`, but a failed lane does not stop the wait for the others. */
  async settle(): Promise<void> {
    for (let seen = -1; seen !== this.enqueued;) {
      seen = this.enqueued;
      await Promise.allSettled(this.lanes.values());
    }
  }
}
