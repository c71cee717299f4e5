import { createHash } from 'node:crypto';
import { and, arrayContains, eq, or, sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../common/payment.js';
import { OWN_WEBHOOK_LANE, type PaymentSnapshot, type ProjectionEvent, type WebhookMessageRef } from '../common/workflow-api.js';
import type { Database } from './client.js';
import { webhookEndpoints, webhookMessages } from './schema.js';


/** Stable per (payment, version, receiver): the `webhook-id` receivers dedupe on. */
export function webhookMessageId(paymentId: string, version: number, lane: string): string {
  return `msg_${createHash('sha256').update(`${paymentId}:${version}:${lane}`).digest('base64url').slice(0, 26)}`;
}

/** What every receiver gets: the earlier Go system's fields (`payment_id`, `timestamp`, `data`) and more. */
export function webhookPayload(s: PaymentSnapshot, type: string): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    type,
    payment_id: s.paymentId,
    timestamp: iso(s.updatedAt),
    sequence: s.version,
    data: s.data,
    payment: {
      id: s.paymentId,
      reference: s.reference,
      amount: s.amount,
      currency: s.currency,
      status: s.status,
      description: s.description,
      failureReason: s.failureReason,
      compensated: s.compensated,
      scheduledAt: iso(s.scheduledAt),
      createdAt: iso(s.createdAt),
      completedAt: iso(s.completedAt),
    },
  };
}

/** The merchant's enabled endpoints that want this event type (none listed = all). */
export function subscribedEndpoints(db: Pick<Database, 'select'>, merchantId: string, eventType: string) {
  return db
    .select({ id: webhookEndpoints.id, url: webhookEndpoints.url })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.merchantId, merchantId),
        eq(webhookEndpoints.enabled, true),
        or(sql`cardinality(${webhookEndpoints.eventTypes}) = 0`, arrayContains(webhookEndpoints.eventTypes, [eventType])),
      ),
    );
}

/**
 * Right after the state change: one message per enabled endpoint subscribed to the event,
 * plus the payment's own webhookUrl for its final event. Idempotent: a retried projection finds the
 * same messages and returns them.
 */
export async function enqueueWebhookMessages(tx: Database, snapshot: PaymentSnapshot, event: ProjectionEvent): Promise<WebhookMessageRef[]> {
  if (!event.type.startsWith('payment.') || !snapshot.merchantId) return [];
  const endpoints = await subscribedEndpoints(tx, snapshot.merchantId, event.type);
  const receivers = endpoints.map((e) => ({ lane: e.id, endpointId: e.id as string | null, url: e.url }));
  if (snapshot.webhookUrl && TERMINAL_STATUSES.includes(snapshot.status)) {
    receivers.push({ lane: OWN_WEBHOOK_LANE, endpointId: null, url: snapshot.webhookUrl });
  }
  if (receivers.length === 0) return [];
  const payload = webhookPayload(snapshot, event.type);
  const rows = receivers.map((r) => ({
    id: webhookMessageId(snapshot.paymentId, snapshot.version, r.lane),
    merchantId: snapshot.merchantId,
    paymentId: snapshot.paymentId,
    endpointId: r.endpointId,
    url: r.url,
    eventType: event.type,
    sequence: snapshot.version,
    payload,
  }));
  await tx.insert(webhookMessages).values(rows).onConflictDoNothing({ target: webhookMessages.id });
  return rows.map((r) => ({ id: r.id, lane: r.endpointId ?? OWN_WEBHOOK_LANE }));
}
