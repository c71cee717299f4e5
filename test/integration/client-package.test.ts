import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { AppRouter as ServerRouter } from '../../api/router.js';
import type { AppRouter as ClientRouter } from '../../client/app-router.js';
import { CLIENT_ROUTER_FILE, renderClientRouterTypes } from '../../dev/generate-client-types.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const consumerDir = fileURLToPath(new URL('../consumer/', import.meta.url));

describe("the client's router type", () => {
  it('has the inputs and outputs of the API (checked by tsc: run `npm run client:types` when this fails)', () => {
    expectTypeOf<inferRouterInputs<ClientRouter>>().toEqualTypeOf<inferRouterInputs<ServerRouter>>();
    expectTypeOf<inferRouterOutputs<ClientRouter>>().toEqualTypeOf<inferRouterOutputs<ServerRouter>>();
  });

  it('is what `npm run client:types` writes from api/router.ts', { timeout: 120_000 }, async () => {
    expect(await readFile(CLIENT_ROUTER_FILE, 'utf8')).toBe(renderClientRouterTypes());
  });
});

describe('npm pack, installed by another project', () => {
  let scratch: string | undefined;
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it(
    'imports `temporal-payments/client`, type-checks with --strict and skipLibCheck false, and refuses wrong calls',
    { timeout: 240_000 },
    async () => {
      scratch = await mkdtemp(join(tmpdir(), 'client-package-'));
      const project = join(scratch, 'consumer');
      // prepack builds dist/client: the tarball is what `npm publish` would upload.
      await run('npm', ['pack', '--pack-destination', scratch], { cwd: repo, timeout: 120_000 });
      const [tarball, ...others] = (await readdir(scratch)).filter((f) => f.endsWith('.tgz'));
      expect(others).toEqual([]);
      const listed = (await run('tar', ['-tzf', join(scratch, tarball!)])).stdout.split('\n').filter(Boolean).sort();
      expect(listed).toEqual([
        'package/README.md',
        'package/dist/client/app-router.d.ts',
        'package/dist/client/index.d.ts',
        'package/dist/client/index.js',
        'package/package.json',
      ]);

      await run('mkdir', [project]);
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      await copyFile(join(consumerDir, 'consumer.ts'), join(project, 'consumer.ts'));
      await copyFile(join(consumerDir, 'tsconfig.json'), join(project, 'tsconfig.json'));
      const typesNode = JSON.parse(await readFile(join(repo, 'node_modules/@types/node/package.json'), 'utf8')).version as string;
      // --prefer-offline: from npm's cache where `npm ci` of this repository filled it, else the registry.
      // --ignore-scripts: the server's install scripts (embedded Postgres) have nothing to do with types.
      await run(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--no-package-lock',
          join(scratch, tarball!),
          `@types/node@${typesNode}`,
        ],
        { cwd: project, timeout: 180_000 },
      );

      // Self-contained: the declarations name the client's own dependency and nothing of the server.
      const installed = join(project, 'node_modules/temporal-payments/dist/client');
      const imported = new Set<string>();
      for (const file of (await readdir(installed)).filter((f) => f.endsWith('.d.ts'))) {
        const text = await readFile(join(installed, file), 'utf8');
        for (const m of text.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)) imported.add(m[1]!);
      }
      expect([...imported].sort()).toEqual(['./app-router.js', '@trpc/client', '@trpc/server']);

      const tsc = await run(join(repo, 'node_modules/.bin/tsc'), ['-p', project, '--strict', '--skipLibCheck', 'false', '--noEmit'], {
        timeout: 120_000,
      }).then(
        () => '',
        (err: { stdout: string; message: string }) => err.stdout || err.message,
      );
      // The consumer's @ts-expect-error lines must each meet an error: untyped (`any`) client types fail here too.
      expect(tsc).toBe('');

      const loaded = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const m = await import('temporal-payments/client'); console.log(typeof m.createPaymentsClient, typeof m.TRPCClientError)",
        ],
        { cwd: project, timeout: 30_000 },
      );
      expect(loaded.stdout.trim()).toBe('function function');
    },
  );
});
