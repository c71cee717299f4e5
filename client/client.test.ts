import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsc = 'node_modules/.bin/tsc';

describe('the published client', () => {
  it('type-checks a consumer importing `temporal-payments/client` (a breaking API change fails here)', { timeout: 120_000 }, async () => {
    // Build the declarations the package `exports` point at, then compile the consumer against them.
    await run(tsc, ['-p', 'tsconfig.build.json']);
    const result = await run(tsc, ['-p', 'test/consumer/tsconfig.json']).then(
      () => ({ ok: true, output: '' }),
      (err: { stdout: string }) => ({ ok: false, output: err.stdout }),
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });
});
