import { describe, expect, it } from 'vitest';
import { once } from './once.js';

describe('once per form key', () => {
  it('acts once for the same key sent twice at the same time', async () => {
    let runs = 0;
    const act = () => once({ action: 'rotate', formKey: 'k1' }, async () => ++runs);
    expect(await Promise.all([act(), act()])).toEqual([1, 1]);
    expect(runs).toBe(1);
  });

  it('acts again for another key, another merchant, or without a key (negative control)', async () => {
    let runs = 0;
    const run = async () => ++runs;
    await once({ action: 'rotate', formKey: 'k2' }, run);
    await once({ action: 'rotate', formKey: 'k3' }, run);
    await once({ action: 'rotate', formKey: 'k2', apiKey: 'sk_other' }, run);
    await once({ action: 'rotate' }, run);
    expect(runs).toBe(4);
  });

  it('forgets a failure so the form can be sent again', async () => {
    let runs = 0;
    const fails = () =>
      once({ action: 'test', formKey: 'k4' }, async () => {
        runs++;
        throw new Error('down');
      });
    await expect(fails()).rejects.toThrow('down');
    await expect(fails()).rejects.toThrow('down');
    expect(runs).toBe(2);
  });
});
