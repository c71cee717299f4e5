import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { ulid } from './ulid.js';

describe('ulid', () => {
  it('is a valid, current, unique ULID across many pool refills', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => ulid());
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(new Set(ids).size).toBe(ids.length);
    // Every random character position takes many values: the pool is not stuck on one byte.
    expect(new Set(ids.map((id) => id[20])).size).toBeGreaterThan(20);
  });
});
