import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { TERMINAL_STATUSES, isSubscribable } from '../common/vocabulary.js';
import { OWN_WEBHOOK_LANE, type PaymentSnapshot, type ProjectionEvent } from '../common/workflow-api.js';
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
      metadata: s.metadata ?? {},
      failureReason: s.failureReason,
      compensated: s.compensated,
      scheduledAt: iso(s.scheduledAt),
      createdAt: iso(s.createdAt),
      completedAt: iso(s.completedAt),
    },
  };
}

/**
 * The CTEs `planned` (id, lane of every message the event produces) and `queued` (their insert), for
 * the projection's statement: one message per enabled endpoint subscribed to the event (none listed =
 * all), plus the payment's own webhookUrl for its final event. The ids are `webhookMessageId`,
 * computed in SQL, so a retried projection finds the same messages and returns them.
 */
export function webhookMessagesCte(snapshot: PaymentSnapshot, event: ProjectionEvent): SQL {
  const applies = isSubscribable(event.type) && Boolean(snapshot.merchantId);
  const final =
    TERMINAL_STATUSES.includes(snapshot.status) && !(snapshot.notifyOwnWebhook === 'processed' && snapshot.status === 'canceled');
  const ownWebhook = applies && snapshot.webhookUrl && final ? snapshot.webhookUrl : null;
  const e = webhookEndpoints;
  return sql`receivers as (
      select ${e.id} as lane, ${e.id} as endpoint_id, ${e.url} as url from ${e}
      where ${applies} and ${e.merchantId} = ${snapshot.merchantId ?? ''} and ${e.enabled}
        and (cardinality(${e.eventTypes}) = 0 or ${e.eventTypes} @> array[${event.type}::text])
      union all
      select ${OWN_WEBHOOK_LANE}::text, null::text, ${ownWebhook}::text where ${ownWebhook !== null}
    ),
    planned as (
      select 'msg_' || substr(translate(encode(sha256(convert_to(${snapshot.paymentId}::text || ':' || ${snapshot.version}::int || ':' || lane, 'UTF8')), 'base64'), '+/', '-_'), 1, 26) as id,
             lane, endpoint_id, url
      from receivers
    ),
    queued as (
      insert into ${webhookMessages} (id, merchant_id, payment_id, endpoint_id, url, event_type, sequence, payload)
      select id, ${snapshot.merchantId ?? ''}::text, ${snapshot.paymentId}::text, endpoint_id, url, ${event.type}::text, ${snapshot.version}::int, ${JSON.stringify(webhookPayload(snapshot, event.type))}::jsonb
      from planned
      on conflict (id) do nothing
    )`;
}
