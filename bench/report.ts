/** The markdown table of a run: each target with its ratio and whether it was met. */
export function renderReport(facts: Record<string, string>, r: Record<string, any>): string {
  const header = [`# Benchmark results (${facts.mode} run)`, '', ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`), ''];
  const closing = r.closing;
  const closingLine = `Closing check: ${closing.paymentsCreated} payments created, ${closing.workflows} workflows, ${closing.readModelRows} read-model rows, ${closing.webhooksReceived}/${closing.webhooksExpected} webhooks received, ${closing.failedWorkflows} failed workflows, ${closing.failedPayments} failed payments: **${closing.passed ? 'passed' : 'FAILED'}**.`;
  if (!closing.passed) return [...header, closingLine, '', 'The closing check failed, so this run reports no figures.', ''].join('\n');

  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const rows: string[][] = [];
  rows.push(['1. End-to-end payments/s vs B0 workflows/s', '≥ 0.70', `${r.endToEnd.ratio}`, met(r.endToEnd.ratio >= 0.7)]);
  rows.push([
    '2. History events / state transitions vs B0 (timers at delay 0)',
    '≤ 1.5 (0)',
    `${r.history.eventsRatio} / ${r.history.transitionsRatio} (${r.history.timersWithDelay0})`,
    met(r.history.eventsRatio <= 1.5 && r.history.transitionsRatio <= 1.5 && r.history.timersWithDelay0 === 0),
  ]);
  for (const at of r.create.atRates) {
    const ok = (p50: number, p99: number) => p50 <= 1.2 && p99 <= 1.5;
    rows.push([
      `3. REST create p50 / p99 vs B-direct at ${at.fraction * 100}% of B0 (${at.ratePerSecond}/s)`,
      '≤ 1.2 / ≤ 1.5',
      `${at.restP50Ratio} / ${at.restP99Ratio}`,
      met(ok(at.restP50Ratio, at.restP99Ratio)),
    ]);
    rows.push([
      `3. tRPC create p50 / p99 vs B-direct at ${at.fraction * 100}% of B0 (${at.ratePerSecond}/s)`,
      '≤ 1.2 / ≤ 1.5',
      `${at.trpcP50Ratio} / ${at.trpcP99Ratio}`,
      met(ok(at.trpcP50Ratio, at.trpcP99Ratio)),
    ]);
  }
  const rm = r.readModel;
  rows.push([
    `4. List-by-status p99 vs visibility (${rm.syntheticRows.toLocaleString('en')} rows loaded)`,
    '≤ 0.5',
    `${rm.listP99Ratio}`,
    met(rm.listP99Ratio <= 0.5),
  ]);
  rows.push(['4. Get-by-id p99 vs visibility listing', '≤ 0.5', `${rm.getP99Ratio}`, met(rm.getP99Ratio <= 0.5)]);
  rows.push([
    '4. Freshness p99, ours vs visibility (ms)',
    'ours ≤ visibility',
    `${rm.freshness.oursP99Ms} vs ${rm.freshness.visibilityP99Ms}`,
    met(rm.freshness.met),
  ]);
  const wh = r.webhooks;
  rows.push(['5. Webhook final → receipt p99 vs B0 activity schedule-to-close p99', '≤ 1.5', `${wh.p99Ratio}`, met(wh.p99Ratio <= 1.5)]);
  rows.push([
    `5. Delivered with 5% receiver 5xx (${wh.withRefusals.refused} refused)`,
    '100%',
    `${wh.withRefusals.delivered}/${wh.withRefusals.payments}`,
    met(wh.withRefusals.allDelivered),
  ]);
  rows.push([
    '6. Projection throughput / p99 vs raw pg (same SQL)',
    '≥ 0.90 / ≤ 1.2',
    `${r.projection.throughputRatio} / ${r.projection.p99Ratio}`,
    met(r.projection.throughputRatio >= 0.9 && r.projection.p99Ratio <= 1.2),
  ]);
  const sl = r.sleeping;
  rows.push([
    `7. Worker RSS after GC at ${sl.sleeping} sleeping vs at ${sl.boundSample} (cache bound ${sl.cacheBound})`,
    '≤ 1.2',
    `${sl.rssBeyondBoundRatio}`,
    met(sl.rssBeyondBoundRatio <= 1.2),
  ]);
  rows.push([
    '7. API get p50 (p99) with them vs before; API CPU while they sleep',
    '≤ 1.2; < 0.05 s in 5 s',
    `${sl.apiGetP50Ratio} (${sl.apiGetP99Ratio}); ${sl.apiCpuSecondsIn5sIdle} s`,
    met(sl.apiGetP50Ratio <= 1.2 && sl.apiCpuSecondsIn5sIdle < 0.05),
  ]);

  const details = [
    `End to end (burst of ${r.endToEnd.burst}, closed loop): ours ${r.endToEnd.oursPerSecond.join(', ')} payments/s; B0 ${r.endToEnd.barePerSecond.join(', ')} workflows/s.`,
    `History: ${r.history.events.ours} events and ${r.history.transitions.ours} state transitions per payment vs ${r.history.events.bare} and ${r.history.transitions.bare} for B0.`,
    ...r.create.atRates.map(
      (at: any) =>
        `Create at ${at.ratePerSecond}/s (open model), p50 ms direct ${at.msP50.direct}, REST ${at.msP50.rest}, tRPC ${at.msP50.trpc}; p99 ms ${at.msP99.direct}, ${at.msP99.rest}, ${at.msP99.trpc}.`,
    ),
    `Create errors: ${r.create.errors}. Read-model p99 ms: list ${rm.p99Ms.list.join(', ')}; get ${rm.p99Ms.get.join(', ')}; visibility ${rm.p99Ms.visibility.join(', ')} (under ${rm.writeLoadPerSecond} new payments/s).`,
    `Webhook p99 ms: ours ${wh.oursP99Ms.join(', ')}; B0 webhook activity ${wh.bareActivityP99Ms.join(', ')} at ${wh.ratePerSecond}/s.`,
    webhookBreakdown(wh.breakdownMs),
    `Worker RSS (sleeping → MiB): ${sl.rssMiB.map((m: any) => `${m.sleeping} → ${m.rssMiB}`).join(', ')}; ${sl.rssMiBPerThousandBelowBound === null ? `no sample below the bound (the first had ${sl.rssMiB[0].sleeping} asleep)` : `${sl.rssMiBPerThousandBelowBound} MiB per 1,000 up to the bound`}, ${sl.rssMiBPerThousandBeyondBound} beyond it.`,
    `API get-by-id p50 / p99 ms before the sleeping payments ${sl.apiGetMs.before.join(' / ')}, with them ${sl.apiGetMs.after.join(' / ')}.`,
    closingLine,
    `Run time: ${r.durationSeconds} s.`,
  ];
  return [
    ...header,
    '| target | bound | ratio (median of repetitions) | status |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    ...details.map((d) => `${d}\n`),
    '',
  ].join('\n');
}

/** Where the webhook's time goes: sent by the capture, or left to the delivery activity (split by segment). */
function webhookBreakdown(b: Record<string, any>): string {
  const ms = (s: { p50: number; p99: number }) => `${s.p50} / ${s.p99}`;
  const parts = [
    `${b.sentByCapture} of ${b.sample} sampled webhooks were sent by the capture's own attempt${b.byCaptureFinalToReceipt ? ` (final state → received ${ms(b.byCaptureFinalToReceipt)})` : ''}`,
  ];
  if (b.viaActivity)
    parts.push(
      `the others by the delivery activity: final state → delivery scheduled ${ms(b.viaActivity.finalToScheduled)}, schedule-to-start ${ms(b.viaActivity.scheduleToStart)}, started → received ${ms(b.viaActivity.startToReceipt)}`,
    );
  parts.push(
    `B0's webhook activity: schedule-to-start ${ms(b.bareScheduleToStart)}, its charge's completion → the webhook activity's completion ${ms(b.bareChargeToWebhook)}`,
  );
  return `Where the webhook time goes (p50 / p99 ms, from histories): ${parts.join('; ')}.`;
}
