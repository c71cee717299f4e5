import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules that guard correctness, checked against ESLint itself: a config typo would
// otherwise switch them off silently and `npm test` would stay green.
const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });
const rulesFor = async (code: string, file: string) => {
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  return result!.messages.map((m) => m.ruleId);
};

const impureWorkflow = `import fs from 'node:fs';
import { Pool } from 'pg';
import { sleep } from '@temporalio/workflow';
export async function w() { return [fs, Pool, sleep]; }
`;

describe('lint rules', () => {
  it('refuses Node built-ins and database clients in workflow code', async () => {
    const rules = await rulesFor(impureWorkflow, 'worker/workflows/index.ts');
    expect(rules.filter((r) => r === 'no-restricted-imports')).toHaveLength(2);
  }, 60_000);

  it('allows the same imports outside workflow code (the rule is scoped, not global)', async () => {
    expect(await rulesFor(impureWorkflow, 'worker/activities/index.ts')).not.toContain('no-restricted-imports');
  }, 60_000);

  it('refuses a promise nobody awaits, and accepts one marked with void', async () => {
    const floating = `import { sleep } from '@temporalio/workflow';\nexport async function w() { sleep(1); }\n`;
    expect(await rulesFor(floating, 'worker/workflows/index.ts')).toContain('@typescript-eslint/no-floating-promises');
    expect(await rulesFor(floating.replace('sleep(1)', 'void sleep(1)'), 'worker/workflows/index.ts')).not.toContain(
      '@typescript-eslint/no-floating-promises',
    );
  }, 60_000);
});
