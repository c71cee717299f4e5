import { writeFile, mkdir, cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Prebuilds the workflow bundle so workers start fast, and puts the migrations beside the built code. */
const root = fileURLToPath(new URL('..', import.meta.url));
const bundleFile = path.join(root, 'dist/worker/workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'worker/workflows/index.ts') });
await mkdir(path.dirname(bundleFile), { recursive: true });
await writeFile(bundleFile, code);
await cp(path.join(root, 'db/migrations'), path.join(root, 'dist/db/migrations'), { recursive: true });
console.log(`workflow bundle: ${path.relative(root, bundleFile)} (${Math.round(code.length / 1024)} KiB)`);
