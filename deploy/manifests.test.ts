import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, parseConfig } from '../common/config.js';

const variables = new Set(Object.keys(configSchema.shape));
const APP_SERVICES = ['api', 'worker', 'web'];
const defaults = parseConfig({});

async function compose() {
  return parse(await readFile('docker-compose.yml', 'utf8'), { merge: true });
}

async function k8sBase() {
  const kustomization = parse(await readFile('deploy/k8s/base/kustomization.yaml', 'utf8'));
  const docs = [];
  for (const file of kustomization.resources as string[]) {
    const text = await readFile(path.join('deploy/k8s/base', file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      expect(doc.errors, file).toEqual([]);
      docs.push(doc.toJS());
    }
  }
  return docs as Array<{ kind: string; metadata: { name: string }; spec: any; data?: Record<string, string>; stringData?: Record<string, string> }>;
}

describe('docker-compose.yml', () => {
  it('parses, has every service with healthchecks and dependency conditions, and scales workers', async () => {
    const { services } = await compose();
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'api', 'worker', 'web']));
    for (const name of ['postgresql', 'temporal', 'api', 'worker']) expect(services[name].healthcheck, name).toBeDefined();
    expect(services.api.depends_on.temporal.condition).toBe('service_healthy');
    // `--scale worker=5` needs no fixed host port or container name on the worker.
    expect(services.worker.ports).toBeUndefined();
    expect(services.worker.container_name).toBeUndefined();
  });

  it('sets only variables the config knows, and every one production needs', async () => {
    const { services } = await compose();
    for (const name of APP_SERVICES) {
      const env = services[name].environment as Record<string, string>;
      for (const key of Object.keys(env)) expect(variables.has(key), `${name}: ${key}`).toBe(true);
      expect(() => parseConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]+:-([^}]*)\}/g, '$1')])))).not.toThrow();
    }
    for (const name of ['api', 'worker']) {
      expect(services[name].environment.DATABASE_URL, name).toMatch(/^postgres:\/\//);
      expect(services[name].environment.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
  });

  it("ports and probes match the code, and each service's image target exists", async () => {
    const { services } = await compose();
    expect(services.api.ports).toEqual([`${defaults.PORT}:${services.api.environment.PORT}`]);
    expect(services.api.healthcheck.test.join(' ')).toContain(`:${services.api.environment.PORT}/readyz`);
    expect(services.worker.healthcheck.test.join(' ')).toContain(`:${services.worker.environment.WORKER_METRICS_PORT}/metrics`);
    const dockerfile = await readFile('Dockerfile', 'utf8');
    for (const name of [...APP_SERVICES, 'migrate']) {
      expect(dockerfile, name).toMatch(new RegExp(`^FROM \\S+ AS ${services[name].build.target}$`, 'm'));
    }
  });
});

describe('Kubernetes manifests (kustomize base and local overlay)', () => {
  it('parse, and include every resource the issue asks for', async () => {
    const docs = await k8sBase();
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/payments-api',
        'Deployment/payments-worker',
        'Deployment/payments-web',
        'Service/payments-api',
        'Service/payments-web',
        'Ingress/payments',
        'ConfigMap/payments-config',
        'Secret/payments-secrets',
        'HorizontalPodAutoscaler/payments-api',
        'HorizontalPodAutoscaler/payments-worker',
        'PodDisruptionBudget/payments-worker',
      ]),
    );
    const overlay = parse(await readFile('deploy/k8s/overlays/local/kustomization.yaml', 'utf8'));
    for (const r of overlay.resources) expect(existsSync(path.join('deploy/k8s/overlays/local', r))).toBe(true);
  });

  it('configure only known variables, production ones included', async () => {
    const docs = await k8sBase();
    const config = docs.find((d) => d.kind === 'ConfigMap')!.data!;
    const secret = docs.find((d) => d.kind === 'Secret')!.stringData!;
    const env: Record<string, string> = { ...config, ...secret };
    for (const d of docs.filter((d) => d.kind === 'Deployment')) {
      for (const c of d.spec.template.spec.containers) for (const e of c.env ?? []) env[e.name] = e.value;
    }
    for (const key of Object.keys(env)) expect(variables.has(key), key).toBe(true);
    const parsed = parseConfig(env);
    expect(parsed.DATABASE_URL).toBeDefined();
    expect(parsed.TEMPORAL_ADDRESS).toBeDefined();
    expect(parsed.ANONYMOUS_AS_DEMO).toBe(false);
  });

  it('probes and ports match the code', async () => {
    const docs = await k8sBase();
    const config = parseConfig(docs.find((d) => d.kind === 'ConfigMap')!.data!);
    const container = (name: string) => docs.find((d) => d.kind === 'Deployment' && d.metadata.name === name)!.spec.template.spec.containers[0];
    const api = container('payments-api');
    expect(api.ports[0].containerPort).toBe(config.PORT);
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    const worker = container('payments-worker');
    expect(worker.ports.find((p: { name: string }) => p.name === 'metrics').containerPort).toBe(config.WORKER_METRICS_PORT);
    expect(worker.ports.find((p: { name: string }) => p.name === 'sdk-metrics').containerPort).toBe(config.TEMPORAL_SDK_METRICS_PORT);
    expect(container('payments-web').ports[0].containerPort).toBe(config.WEB_PORT);
  });
});
