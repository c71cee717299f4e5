/**
 * `node --import tsx bench/probes/scale-out.ts [--engine cluster] [--burst 60]`: end-to-end throughput
 * (a burst of payments accepted through REST until its last webhook arrived, 20 in flight) with 1, 2
 * and 4 worker processes behind one API, then 1 and 2 API processes (requests alternating between
 * them) with one worker. Process counts go up and back down (1,2,4,4,2,1; 1,2,2,1) so a drift in the
 * machine's load favours none; each count's figure is the median of its two bursts, stated as a
 * ratio to one process.
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startBenchEnvironment, type BenchEngine } from '../environment.js';
import { closedLoop, firstTrue } from '../load.js';
import { median, round } from '../stats.js';

const { values: args } = parseArgs({ options: { engine: { type: 'string', default: 'dev' }, burst: { type: 'string', default: '60' } } });
const burst = Number(args.burst);
const env = await startBenchEnvironment(args.engine as BenchEngine);

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Payments per second of one burst, its creations spread over the given API URLs. */
async function throughput(apiUrls: string[]): Promise<number> {
  const started = Date.now();
  const ids = await closedLoop(burst, 20, async (i) => {
    const res = await fetch(`${apiUrls[i % apiUrls.length]}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }),
    });
    if (res.status !== 201) throw new Error(`create answered ${res.status}`);
    return ((await res.json()) as { id: string }).id;
  });
  if ((await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), 300_000, 20)) === undefined)
    throw new Error('scale-out: webhooks never arrived');
  const last = Math.max(...ids.map((id) => env.sink.received.get(id)!.receivedAt));
  return burst / ((last - started) / 1000);
}

try {
  await throughput([env.apiUrl]); // warm-up, discarded
  const workers: ChildProcess[] = [env.worker];
  const byWorkers = new Map<number, number[]>();
  for (const count of [1, 2, 4, 4, 2, 1]) {
    while (workers.length < count) workers.push(await env.processes.startWorker(env.processEnv));
    while (workers.length > count) await stop(workers.pop()!);
    byWorkers.set(count, [...(byWorkers.get(count) ?? []), await throughput([env.apiUrl])]);
  }
  const apis = [env.apiUrl];
  const second = await env.processes.startApi(env.processEnv);
  const byApis = new Map<number, number[]>();
  for (const count of [1, 2, 2, 1]) {
    byApis.set(count, [...(byApis.get(count) ?? []), await throughput(count === 1 ? apis : [...apis, second.url])]);
  }
  const ratios = (figures: Map<number, number[]>) =>
    Object.fromEntries(
      [...figures].map(([count, perSecond]) => [
        count,
        { perSecond: perSecond.map((v) => round(v)), ratioToOne: round(median(perSecond) / median(figures.get(1)!)) },
      ]),
    );
  console.log(JSON.stringify({ engine: args.engine, burst, workers: ratios(byWorkers), apis: ratios(byApis) }, null, 2));
} finally {
  await env.stop();
}
process.exit(0);
