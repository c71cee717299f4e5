import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The layering the code relies on, checked on every file git knows: the production layers never
// import dev/ (so the images need no dev tooling), and the environment is read in one place.
const files = execFileSync('git', ['ls-files', '*.ts', '*.svelte'], { encoding: 'utf8' }).split('\n').filter(Boolean);
const PRODUCTION = /^(api|worker|web|db|common|runtime|client)\//;

export function devImports(source: string): string[] {
  return [...source.matchAll(/from\s+['"]((?:\.\.\/)+dev\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('layering', () => {
  it('no production module imports dev/', () => {
    const offenders = files
      .filter((f) => PRODUCTION.test(f) && !f.endsWith('.test.ts'))
      .flatMap((f) => devImports(readFileSync(f, 'utf8')).map((i) => `${f} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('only common/config.ts reads process.env', () => {
    const offenders = files.filter(
      (f) => f !== 'common/config.ts' && !f.endsWith('layering.test.ts') && /process\.env\b/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('recognises an import of dev/ (negative control for the scan itself)', () => {
    expect(devImports(`import { x } from '../dev/embedded-services.js';`)).toEqual(['../dev/embedded-services.js']);
    expect(devImports(`import { x } from '../../dev/ports.js';`)).toEqual(['../../dev/ports.js']);
    expect(devImports(`import { x } from '../runtime/system.js';`)).toEqual([]);
  });
});
