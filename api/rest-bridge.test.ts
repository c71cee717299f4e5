import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { queryInput } from './rest-bridge.js';

describe('queryInput', () => {
  it('reads metadata[key]=value as an object whatever the key holds, brackets included', () => {
    const params = new URLSearchParams();
    params.append('metadata[orderId]', 'A-17');
    params.append('metadata[a]b]', 'x');
    params.append('metadata[]', 'empty');
    params.append('metadata[[c]', 'y');
    expect(queryInput(params, { metadata: z.record(z.string(), z.string()) })).toEqual({
      metadata: { orderId: 'A-17', 'a]b': 'x', '': 'empty', '[c': 'y' },
    });
  });

  it('converts text to a number only where the field is one and the text spells it', () => {
    const shape = { limit: z.number().optional(), search: z.string().optional() };
    expect(queryInput(new URLSearchParams('limit=20&search=42'), shape)).toEqual({ limit: 20, search: '42' });
    expect(queryInput(new URLSearchParams('limit=0x10'), shape)).toEqual({ limit: '0x10' });
  });
});
