/**
 * `node --import tsx bench/probes/cpu-per-payment.ts [--engine cluster] [--burst 200] [--reps 2]`:
 * where the CPU of a payment goes. On the bench's environment, bursts of payments end to end (REST
 * create → webhook received, as arm 1) alternate with bursts of B0 workflows; for each burst the CPU
 * seconds of every process on the machine are read from /proc before and after and grouped (our API,
 * our worker, B0's worker, Postgres, the Temporal engine, this orchestrator with the load generator and
 * the sink, the rest), then divided by the burst. On two cores the end-to-end ratio is a CPU ratio: this
 * says whose CPU.
 */
import { readdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { alternate } from '../alternate.js';
import { BARE_QUEUE, startBenchEnvironment, type BenchEngine } from '../environment.js';
import { closedLoop, firstTrue } from '../load.js';
import { BARE_WORKFLOW, RunLedger, createPayment } from '../payments.js';
import { median, round } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'dev' },
    burst: { type: 'string', default: '200' },
    reps: { type: 'string', default: '2' },
  },
});
const BURST = Number(args.burst);

/** CPU seconds so far of every live process, by pid, with its command line. */
async function snapshot(): Promise<Map<number, { cpu: number; cmd: string }>> {
  const out = new Map<number, { cpu: number; cmd: string }>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      out.set(pid, { cpu: (Number(fields[11]) + Number(fields[12])) / 100, cmd });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const env = await startBenchEnvironment(args.engine as BenchEngine);
try {
  const ledger = new RunLedger();
  const groupOf = (pid: number, cmd: string): string => {
    if (pid === env.api.pid) return 'api';
    if (pid === env.worker.pid) return 'worker';
    if (pid === process.pid) return 'orchestrator (load, sink)';
    if (cmd.includes('bare-worker')) return 'B0 worker';
    if (/postgres/.test(cmd)) return 'postgres';
    if (/temporal|\/server /.test(cmd)) return 'temporal engine';
    return 'other';
  };
  /** CPU per payment of each group during `burst()`. */
  const measured = (burst: () => Promise<void>) => async () => {
    const before = await snapshot();
    const wall = Date.now();
    await burst();
    const seconds = (Date.now() - wall) / 1000;
    const after = await snapshot();
    const groups: Record<string, number> = {};
    for (const [pid, { cpu, cmd }] of after) {
      const used = cpu - (before.get(pid)?.cpu ?? 0);
      if (used <= 0) continue;
      const group = groupOf(pid, cmd);
      groups[group] = (groups[group] ?? 0) + used;
    }
    return {
      perSecond: BURST / seconds,
      msPerPayment: Object.fromEntries(Object.entries(groups).map(([g, s]) => [g, (s * 1000) / BURST])),
    };
  };
  const ours = measured(async () => {
    const ids = await closedLoop(BURST, 20, () =>
      createPayment(env, ledger, 'rest', { amount: 1, currency: 'EUR', delaySeconds: 0, webhookUrl: env.sink.url }),
    );
    if ((await firstTrue(async () => ids.every((id) => env.sink.received.has(id)), 300_000, 20)) === undefined)
      throw new Error('webhooks never arrived');
  });
  const bare = measured(async () => {
    const stamp = Date.now();
    const handles = await closedLoop(BURST, 20, (i) =>
      env.temporal.workflow.start(BARE_WORKFLOW, { taskQueue: BARE_QUEUE, workflowId: `bare-cpu-${stamp}-${i}`, args: [0] }),
    );
    await Promise.all(handles.map((h) => h.result()));
  });
  const runs = await alternate({ bare, ours }, { reps: Number(args.reps), warmUp: true });
  for (const [arm, list] of Object.entries(runs)) {
    const groups = [...new Set(list.flatMap((r) => Object.keys(r.msPerPayment)))];
    const perGroup = Object.fromEntries(groups.map((g) => [g, round(median(list.map((r) => r.msPerPayment[g] ?? 0)), 2)]));
    const total = round(
      Object.values(perGroup).reduce((a, b) => a + b, 0),
      2,
    );
    console.log(JSON.stringify({ arm, perSecond: list.map((r) => round(r.perSecond, 2)), cpuMsPerPayment: perGroup, total }));
  }
} finally {
  await env.stop();
}
process.exit(0);
