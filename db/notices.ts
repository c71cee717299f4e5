import { sql } from 'drizzle-orm';
import type { NoticeType } from '../common/vocabulary.js';
import type { Database } from './client.js';
import { events, webhookEndpoints, webhookMessages, webhookNotices } from './schema.js';

export interface Notice {
  merchantId: string;
  type: NoticeType;
  endpointId?: string | null;
  messageId?: string | null;
  paymentId?: string | null;
  detail: string;
  /**
   * False when the notice is about the delivery of a notice: it is recorded and listed, but sent
   * to no one, so a receiver failing notices cannot start an endless chain of notices about them.
   */
  send: boolean;
  /** An endpoint not to tell, whatever it subscribed to: a disabled endpoint is not told about itself. */
  exceptEndpointId?: string;
}

/** What a notice's webhook (and its feed entry) carries. */
export function noticePayload(n: Notice, at: Date): Record<string, unknown> {
  return {
    type: n.type,
    timestamp: at.toISOString(),
    data: { endpointId: n.endpointId ?? null, messageId: n.messageId ?? null, paymentId: n.paymentId ?? null, detail: n.detail },
  };
}

/**
 * Records a notice, its feed entry and its webhook messages in one statement (atomic, one round
 * trip). Messages go to every enabled endpoint of the merchant that subscribed to the notice's
 * type by name (an empty subscription means every payment event, not the notices), except
 * `exceptEndpointId`. A failed message's own endpoint does hear of it (it may be back by then). Returns the ids of the messages to deliver.
 */
export async function recordNotice(db: Database, notice: Notice): Promise<{ eventId: number; messageIds: string[] }> {
  const at = new Date();
  const payload = JSON.stringify(noticePayload(notice, at));
  const e = webhookEndpoints;
  const result = await db.execute<{ event_id: string; message_ids: string[] }>(sql`
    with notice as (
      insert into ${webhookNotices} (merchant_id, type, endpoint_id, message_id, detail, created_at)
      values (${notice.merchantId}, ${notice.type}, ${notice.endpointId ?? null}, ${notice.messageId ?? null}, ${notice.detail}, ${at.toISOString()}::timestamptz)
      returning id
    ),
    feed as (
      insert into ${events} (merchant_id, type, payment_id, notice_id, payload, created_at)
      select ${notice.merchantId}::text, ${notice.type}::text, ${notice.paymentId ?? null}::text, id, ${payload}::jsonb, ${at.toISOString()}::timestamptz
      from notice
      returning id
    ),
    receivers as (
      select ${e.id} as endpoint_id, ${e.url} as url from ${e}
      where ${notice.send} and ${e.merchantId} = ${notice.merchantId} and ${e.enabled}
        and ${e.eventTypes} @> array[${notice.type}::text]
        and ${e.id} is distinct from ${notice.exceptEndpointId ?? null}::text
    ),
    queued as (
      insert into ${webhookMessages} (id, merchant_id, payment_id, endpoint_id, url, event_type, sequence, payload)
      select 'msg_' || substr(translate(encode(sha256(convert_to('event:' || feed.id || ':' || r.endpoint_id, 'UTF8')), 'base64'), '+/', '-_'), 1, 26),
             ${notice.merchantId}::text, null, r.endpoint_id, r.url, ${notice.type}::text, 0, ${payload}::jsonb
      from feed, receivers r
      returning id
    )
    select (select id from feed)::text as event_id, coalesce((select json_agg(id) from queued), '[]'::json) as message_ids`);
  const row = result.rows[0]!;
  return { eventId: Number(row.event_id), messageIds: row.message_ids };
}
