import { describe, expect, it } from 'vitest';
import { isFormKey, newFormKey } from './form-key.js';

describe('newFormKey', () => {
  it('makes a different UUID v4 each time', () => {
    const keys = new Set(Array.from({ length: 200 }, newFormKey));
    expect(keys.size).toBe(200);
    for (const key of keys) expect(isFormKey(key)).toBe(true);
  });

  it('isFormKey refuses what is not a v4 UUID (negative control)', () => {
    expect(isFormKey('not-a-key')).toBe(false);
    expect(isFormKey('00000000-0000-1000-8000-000000000000')).toBe(false);
    expect(isFormKey(undefined)).toBe(false);
  });
});
