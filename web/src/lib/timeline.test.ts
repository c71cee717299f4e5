import { describe, expect, it } from 'vitest';
import { PAYMENT_EVENT_TYPES } from '../../../common/vocabulary.js';
import { eventFacts, eventTitle } from './timeline.js';

describe('timeline for humans', () => {
  it('titles every event type in words', () => {
    for (const type of PAYMENT_EVENT_TYPES) expect(eventTitle(type)).toMatch(/^[A-Z][a-z]+ [a-z]/);
  });

  it('reads details as labelled facts and drops empties and nested values', () => {
    expect(eventFacts({ reason: 'card declined', step: 'capture', compensated: true, error: null, raw: { a: 1 } })).toEqual([
      { label: 'Reason', value: 'card declined' },
      { label: 'Failed at', value: 'capture' },
      { label: 'Authorization voided', value: 'yes' },
    ]);
  });

  it('keeps the name of a detail it has no label for (negative control)', () => {
    expect(eventFacts({ gatewayCode: 'E42' })).toEqual([{ label: 'gatewayCode', value: 'E42' }]);
  });

  it('reads an amendment as before → after per field', () => {
    expect(
      eventFacts({
        changes: {
          amount: { before: 2500, after: 4200 },
          webhookUrl: { before: 'https://a.example/h', after: null },
          metadata: { before: {}, after: { o: '1' } },
        },
      }),
    ).toEqual([
      { label: 'Amount (minor units)', value: '2500 → 4200' },
      { label: 'Webhook URL', value: 'https://a.example/h → none' },
      { label: 'Metadata', value: '{} → {"o":"1"}' },
    ]);
  });
});
