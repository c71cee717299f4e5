/**
 * `npm run bench [-- --quick]`: our overhead on top of bare Temporal, measured side by side in one run.
 * Every figure is a ratio against a baseline measured in the same run, arms alternating A/B/A/B after
 * a discarded warm-up, medians over repetitions. Writes bench/results/<time>.{json,md}; a full run
 * also bench/RESULTS.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureCreate } from './arms/create.js';
import { measureEndToEnd } from './arms/end-to-end.js';
import { measureHistory } from './arms/history.js';
import { measureProjection } from './arms/projection.js';
import { measureReadModel } from './arms/read-model.js';
import { measureSleeping } from './arms/sleeping.js';
import { measureWebhooks } from './arms/webhooks.js';
import { closingCheck } from './closing.js';
import { WORKER_CACHE, startBenchEnvironment, type BenchEngine } from './environment.js';
import { RunLedger } from './payments.js';
import { renderReport } from './report.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, engine: { type: 'string', default: 'dev' } } });
const QUICK = args.quick;
/** `--engine cluster`: the production-shaped Temporal cluster instead of the dev server. */
if (args.engine !== 'dev' && args.engine !== 'cluster') throw new Error(`--engine must be dev or cluster, not ${args.engine}`);
const ENGINE: BenchEngine = args.engine;
const plan = QUICK
  ? {
      reps: 3,
      writes: 300,
      burst: 25,
      createSeconds: 1.5,
      webhookSeconds: 2,
      refusedBatch: 40,
      rows: 10_000,
      readSeconds: 1,
      freshnessSamples: 3,
      sleepingTarget: 1_200,
      sleepingStep: 200,
      getWindowMs: 1_000,
    }
  : {
      reps: 3,
      writes: 3_000,
      burst: 200,
      createSeconds: 15,
      webhookSeconds: 15,
      refusedBatch: 400,
      rows: 1_000_000,
      readSeconds: 8,
      freshnessSamples: 40,
      sleepingTarget: 10_000,
      sleepingStep: 1_000,
      getWindowMs: 10_000,
    };
const here = path.dirname(fileURLToPath(import.meta.url));
const runStarted = Date.now();
const log = (name: string, value: unknown) =>
  console.log(`[${Math.round((Date.now() - runStarted) / 1000)} s] ${name}: ${JSON.stringify(value)}`);

const env = await startBenchEnvironment(ENGINE);
let exitCode = 0;
try {
  const ledger = new RunLedger();
  const started = Date.now();
  const results: Record<string, any> = {};
  results.history = await measureHistory(env, ledger, 3);
  log('history', results.history);
  results.projection = await measureProjection(env, { writes: plan.writes, reps: plan.reps });
  log('projection', results.projection);
  results.endToEnd = await measureEndToEnd(env, ledger, { burst: plan.burst, reps: plan.reps });
  log('end to end', results.endToEnd);
  const top = results.endToEnd.bareTopRate as number;
  results.create = await measureCreate(env, ledger, { seconds: plan.createSeconds, reps: plan.reps }, top);
  log('create', results.create);
  results.webhooks = await measureWebhooks(
    env,
    ledger,
    { seconds: plan.webhookSeconds, reps: plan.reps, refusedBatch: plan.refusedBatch },
    top,
  );
  log('webhooks', results.webhooks);
  results.readModel = await measureReadModel(
    env,
    ledger,
    { rows: plan.rows, readSeconds: plan.readSeconds, reps: plan.reps, freshnessSamples: plan.freshnessSamples },
    top,
  );
  log('read model', results.readModel);
  // Last: thousands of sleeping payments churn the worker's cache, which would colour the other arms.
  results.sleeping = await measureSleeping(env, ledger, {
    target: plan.sleepingTarget,
    step: plan.sleepingStep,
    cacheBound: WORKER_CACHE,
    windowMs: plan.getWindowMs,
  });
  log('sleeping', results.sleeping);
  results.closing = await closingCheck(env, ledger);
  log('closing check', results.closing);
  results.durationSeconds = Math.round((Date.now() - started) / 1000);

  const facts: Record<string, string> = { ...env.facts, mode: QUICK ? 'quick' : 'full', engine: ENGINE };
  const report = renderReport(facts, results);
  await mkdir(path.join(here, 'results'), { recursive: true });
  const stamp = facts.date!.replace(/[:.]/g, '-');
  await writeFile(path.join(here, 'results', `${stamp}.json`), JSON.stringify({ facts, plan, results }, null, 2));
  await writeFile(path.join(here, 'results', `${stamp}.md`), report);
  // RESULTS.md: the latest full run, followed by the standing analysis of what it shows.
  if (!QUICK && results.closing.passed)
    await writeFile(
      path.join(here, ENGINE === 'dev' ? 'RESULTS.md' : 'RESULTS-cluster.md'),
      `${report}\n${await readFile(path.join(here, 'ANALYSIS.md'), 'utf8')}`,
    );
  console.log(`\n${report}`);
  if (!results.closing.passed) exitCode = 1;
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await env.stop();
}
process.exit(exitCode);
