import { readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import type { BenchEnvironment } from '../environment.js';
import { closedLoop, firstTrue, repeatFor } from '../load.js';
import { createPayment, type RunLedger } from '../payments.js';
import { percentile, round } from '../stats.js';

/**
 * 7. Sleeping payments: bring the number of payments waiting an hour up to `target`, sampling the
 * worker's resident memory on the way. Past the worker's cache bound, memory must stop following the
 * count. Their cost to the API: get-by-id p99 before and after, and the API's CPU while they sleep.
 */
export async function measureSleeping(env: BenchEnvironment, ledger: RunLedger, plan: { target: number; step: number; cacheBound: number }) {
  const get = async () => {
    const ids = [...ledger.created];
    const res = await fetch(`${env.apiUrl}/api/v1/payments/${ids[Math.floor(Math.random() * ids.length)]}`);
    if (res.status !== 200) throw new Error(`get answered ${res.status}`);
    await res.arrayBuffer();
  };
  const getP99Before = percentile(await repeatFor(3000, get), 99);
  const memory: Array<{ sleeping: number; rssMiB: number }> = [{ sleeping: ledger.sleeping.size, rssMiB: await residentMiB(env.worker) }];
  while (ledger.sleeping.size < plan.target) {
    const batch = Math.min(plan.step, plan.target - ledger.sleeping.size);
    await closedLoop(batch, 20, () => createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 3600 }));
    memory.push({ sleeping: ledger.sleeping.size, rssMiB: await residentMiB(env.worker) });
  }
  // The worker runs each new payment's first task after the API answered: let it finish them.
  await firstTrue(async () => (await cpuOver(env.worker, 1000)) < 0.05, 120_000, 0);
  const getP99After = percentile(await repeatFor(3000, get), 99);
  const apiCpuIdle = await cpuOver(env.api, 5000);

  // Memory per 1,000 sleepers below the cache bound, and beyond it.
  const atBound = memory.reduce((best, m) => (Math.abs(m.sleeping - plan.cacheBound) < Math.abs(best.sleeping - plan.cacheBound) ? m : best));
  const last = memory[memory.length - 1]!;
  const perThousandBeyond = last.sleeping > atBound.sleeping ? ((last.rssMiB - atBound.rssMiB) / (last.sleeping - atBound.sleeping)) * 1000 : NaN;
  return {
    sleeping: last.sleeping,
    cacheBound: plan.cacheBound,
    rssMiB: memory.map((m) => ({ ...m, rssMiB: round(m.rssMiB, 1) })),
    rssBeyondBoundRatio: round(last.rssMiB / atBound.rssMiB),
    rssMiBPerThousandBeyondBound: round(perThousandBeyond, 1),
    apiGetP99Ratio: round(getP99After / getP99Before),
    apiCpuSecondsIn5sIdle: round(apiCpuIdle, 3),
  };
}

async function residentMiB(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** CPU seconds a process used during the next `ms` (a window in which nothing else is asked of it). */
async function cpuOver(child: ChildProcess, ms: number): Promise<number> {
  const before = await cpuSeconds(child);
  await new Promise((r) => setTimeout(r, ms));
  return (await cpuSeconds(child)) - before;
}

/** User + system CPU of a process so far, from /proc (clock ticks of 1/100 s). */
async function cpuSeconds(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
