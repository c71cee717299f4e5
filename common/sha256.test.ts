import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64url, sha256 } from './sha256.js';

describe('sha256 (pure, for workflow code)', () => {
  it('matches node:crypto on empty, block-boundary, multi-block and non-ASCII inputs', () => {
    const inputs = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(119), 'pay_01K:3:own', 'zoë ✓ 💸'];
    for (let i = 0; i < 200; i++) inputs.push(randomBytes(i).toString('latin1'));
    for (const text of inputs) {
      expect(Buffer.from(sha256(text)).toString('hex'), JSON.stringify(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('encodes base64url as Buffer does, at every length modulo 3', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      expect(base64url(bytes)).toBe(bytes.toString('base64url'));
    }
  });
});
