import { readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import type { BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue, repeatFor } from '../load.js';
import { createPayment, type RunLedger } from '../payments.js';
import { percentile, round } from '../stats.js';

/**
 * 7. Sleeping payments: bring the number of payments waiting an hour up to `target`, sampling the
 * worker's resident memory on the way. Past the worker's cache bound, memory must stop following the
 * count. Their cost to the API: get-by-id latency before and after, and the API's CPU while they sleep.
 */
export async function measureSleeping(
  env: BenchEnvironment,
  ledger: RunLedger,
  plan: { target: number; step: number; cacheBound: number; windowMs: number },
) {
  // The same payments before and after: a larger id set would touch more of the table and its
  // indexes, and the figure is about what the sleepers cost, not about a bigger working set.
  const ids = [...ledger.created];
  const get = async () => {
    const res = await fetch(`${env.apiUrl}/api/v1/payments/${ids[Math.floor(Math.random() * ids.length)]}`);
    if (res.status !== 200) throw new Error(`get answered ${res.status}`);
    await res.arrayBuffer();
  };
  await machineSettled();
  const getBefore = await repeatFor(plan.windowMs, get);
  const memory: Array<{ sleeping: number; rssMiB: number }> = [{ sleeping: ledger.sleeping.size, rssMiB: await residentMiB(env.worker) }];
  while (ledger.sleeping.size < plan.target) {
    const batch = Math.min(plan.step, plan.target - ledger.sleeping.size);
    await closedLoop(batch, 20, () => createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 3600 }));
    memory.push({ sleeping: ledger.sleeping.size, rssMiB: await residentMiB(env.worker) });
  }
  // The worker runs each new payment's first task after the API answered, and Postgres and Temporal
  // have their own catching up to do: compare like with like, on a settled machine.
  await machineSettled();
  const getAfter = await repeatFor(plan.windowMs, get);
  const apiCpuIdle = await cpuOver(env.api, 5000);

  // Memory per 1,000 sleepers below the cache bound, and beyond it.
  const atBound = memory.reduce((best, m) =>
    Math.abs(m.sleeping - plan.cacheBound) < Math.abs(best.sleeping - plan.cacheBound) ? m : best,
  );
  const last = memory[memory.length - 1]!;
  const first = memory[0]!;
  const perThousand = (from: typeof first, to: typeof first) =>
    to.sleeping > from.sleeping ? round(((to.rssMiB - from.rssMiB) / (to.sleeping - from.sleeping)) * 1000, 1) : null;
  return {
    sleeping: last.sleeping,
    cacheBound: plan.cacheBound,
    /** The sample closest to the bound (the arm starts with the payments earlier arms left asleep). */
    boundSample: atBound.sleeping,
    rssMiB: memory.map((m) => ({ ...m, rssMiB: round(m.rssMiB, 1) })),
    rssBeyondBoundRatio: round(last.rssMiB / atBound.rssMiB),
    rssMiBPerThousandBelowBound: perThousand(first, atBound),
    rssMiBPerThousandBeyondBound: perThousand(atBound, last),
    apiGetMs: {
      before: [round(percentile(getBefore, 50), 2), round(percentile(getBefore, 99), 2)],
      after: [round(percentile(getAfter, 50), 2), round(percentile(getAfter, 99), 2)],
    },
    apiGetP50Ratio: round(percentile(getAfter, 50) / percentile(getBefore, 50)),
    apiGetP99Ratio: round(percentile(getAfter, 99) / percentile(getBefore, 99)),
    apiCpuSecondsIn5sIdle: round(apiCpuIdle, 3),
  };
}

/** After a full collection (the bench starts the worker with a SIGUSR2 hook for it). */
async function residentMiB(child: ChildProcess): Promise<number> {
  child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1000));
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** Until the whole machine is below 15% busy over a second (or two minutes have passed). */
async function machineSettled(): Promise<void> {
  await firstTrue(async () => (await machineBusyOver(1000)) < 0.15, 120_000, 0);
}

async function machineBusyOver(ms: number): Promise<number> {
  const sample = async () => {
    const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/);
    const ticks = fields.map(Number);
    return { idle: ticks[3]! + ticks[4]!, total: ticks.reduce((a, b) => a + b, 0) };
  };
  const before = await sample();
  await new Promise((r) => setTimeout(r, ms));
  const after = await sample();
  return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
}

/** CPU seconds a process used during the next `ms` (a window in which nothing else is asked of it). */
async function cpuOver(child: ChildProcess, ms: number): Promise<number> {
  const before = await cpuSeconds(child);
  await new Promise((r) => setTimeout(r, ms));
  return (await cpuSeconds(child)) - before;
}

/** User + system CPU of a process so far, from /proc (clock ticks of 1/100 s). */
export async function cpuSeconds(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
