import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { TERMINAL_STATUSES, isSubscribable } from '../common/vocabulary.js';
import { OWN_WEBHOOK_LANE, type PaymentSnapshot, type ProjectionEvent } from '../common/workflow-api.js';
import type { Bind } from './compiled-statement.js';
import { DEMO_MERCHANT_ID, webhookEndpoints, webhookMessages } from './schema.js';

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
      metadata: s.metadata ?? {},
      failureReason: s.failureReason,
      compensated: s.compensated,
      scheduledAt: iso(s.scheduledAt),
      createdAt: iso(s.createdAt),
      completedAt: iso(s.completedAt),
      captureMethod: s.captureMethod ?? 'automatic',
      capturedAmount: s.capturedAmount ?? null,
      captureBefore: iso(s.captureBefore ?? null),
      amountRefunded: s.amountRefunded ?? 0,
    },
  };
}

/**
 * The values `webhookMessagesCte` and `feedEntryCte` bind: one message per enabled endpoint
 * subscribed to the event (none listed = all), plus the payment's own webhookUrl for its final event;
 * `extra` joins the payload (a refund's own fields), which the feed's row carries too.
 */
export function eventValues(snapshot: PaymentSnapshot, event: ProjectionEvent, extra: Record<string, unknown> = {}) {
  const applies = isSubscribable(event.type) && Boolean(snapshot.merchantId);
  // Refund events go to subscribed endpoints only: the payment's own webhookUrl hears its final payment event, once.
  const final =
    event.type.startsWith('payment.') &&
    TERMINAL_STATUSES.includes(snapshot.status) &&
    !(snapshot.notifyOwnWebhook === 'processed' && snapshot.status === 'canceled');
  const ownWebhook = applies && snapshot.webhookUrl && final ? snapshot.webhookUrl : null;
  return {
    ev_applies: applies,
    // Histories recorded before merchants existed carry none: their feed row belongs to the demo merchant.
    ev_merchant_id: snapshot.merchantId || DEMO_MERCHANT_ID,
    ev_receiver_merchant_id: snapshot.merchantId ?? '',
    ev_type: event.type,
    ev_own_url: ownWebhook,
    ev_has_own: ownWebhook !== null,
    ev_payment_id: snapshot.paymentId,
    ev_version: snapshot.version,
    ev_payload: JSON.stringify({ ...webhookPayload(snapshot, event.type), ...extra }),
  };
}

/**
 * The CTEs `planned` (id, lane of every message the event produces) and `queued` (their insert), for
 * the projection's statement, over `eventValues`. The ids are `webhookMessageId`, computed in SQL, so
 * a retried projection finds the same messages and returns them.
 */
export function webhookMessagesCte(v: Bind): SQL {
  const e = webhookEndpoints;
  return sql`receivers as (
      select ${e.id} as lane, ${e.id} as endpoint_id, ${e.url} as url from ${e}
      where ${v('ev_applies')}::boolean and ${e.merchantId} = ${v('ev_receiver_merchant_id')}::text and ${e.enabled}
        and (cardinality(${e.eventTypes}) = 0 or ${e.eventTypes} @> array[${v('ev_type')}::text])
      union all
      select ${OWN_WEBHOOK_LANE}::text, null::text, ${v('ev_own_url')}::text where ${v('ev_has_own')}::boolean
    ),
    planned as (
      select 'msg_' || substr(translate(encode(sha256(convert_to(${v('ev_payment_id')}::text || ':' || ${v('ev_version')}::int || ':' || lane, 'UTF8')), 'base64'), '+/', '-_'), 1, 26) as id,
             lane, endpoint_id, url
      from receivers
    ),
    queued as (
      insert into ${webhookMessages} (id, merchant_id, payment_id, endpoint_id, url, event_type, sequence, payload)
      select id, ${v('ev_receiver_merchant_id')}::text, ${v('ev_payment_id')}::text, endpoint_id, url, ${v('ev_type')}::text, ${v('ev_version')}::int, ${v('ev_payload')}::jsonb
      from planned
      on conflict (id) do nothing
    )`;
}
