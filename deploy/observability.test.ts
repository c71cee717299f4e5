import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registry } from '../common/metrics.js';

/** Names a PromQL expression reads, minus functions, labels and the histogram suffixes. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\bby \([^)]*\)/g, '')
    .replace(/"[^"]*"/g, '');
  const tokens = withoutLabels.match(/[a-z_][a-z0-9_]*(?=\s*(\[|\)|$|\s|>|\/|\*|=))/g) ?? [];
  const functions = new Set(['sum', 'rate', 'increase', 'histogram_quantile', 'clamp_min', 'absent', 'by', 'le', 'up']);
  return tokens.filter((t) => !functions.has(t)).map((t) => t.replace(/_(bucket|count|sum)$/, ''));
}

describe('deploy/ observability files', () => {
  const ours = new Set((registry.getMetricsAsArray() as Array<{ name: string }>).map((m) => m.name));
  const known = (name: string) => ours.has(name) || name.startsWith('temporal_');

  it('alert rules parse and read only metrics the code exports', async () => {
    const rules = parse(await readFile('deploy/prometheus/alerts.yml', 'utf8'));
    const alerts = rules.groups.flatMap((g: { rules: Array<{ alert: string; expr: string }> }) => g.rules);
    expect(alerts.map((a: { alert: string }) => a.alert)).toEqual(
      expect.arrayContaining(['PaymentFailureRateHigh', 'WebhookDeadLetters', 'ProjectionLagHigh', 'WorkerAbsent']),
    );
    for (const alert of alerts) for (const name of metricNames(alert.expr)) expect(known(name), `${alert.alert}: ${name}`).toBe(true);
  });

  it('the Grafana dashboard parses and every panel reads exported metrics', async () => {
    const dashboard = JSON.parse(await readFile('deploy/grafana/payments-dashboard.json', 'utf8'));
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets)
        for (const name of metricNames(target.expr)) expect(known(name), `${panel.title}: ${name}`).toBe(true);
    }
  });
});
