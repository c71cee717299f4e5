import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { configSchema, parseConfig } from '../common/config.js';
import { findOrInstallGoTool, GO_TOOLS } from '../dev/go-tools.js';
import { SHUTDOWN_DEADLINE_MS } from '../runtime/shutdown.js';

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
  return docs as Array<{
    kind: string;
    metadata: { name: string };
    spec: any;
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  }>;
}

describe('docker-compose.yml', () => {
  it('parses, has every service with healthchecks and dependency conditions, and scales workers', async () => {
    const { services } = await compose();
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'api', 'worker', 'web']));
    for (const name of ['postgresql', 'temporal', 'api', 'worker']) expect(services[name].healthcheck, name).toBeDefined();
    expect(services.api.depends_on['temporal-namespace'].condition).toBe('service_completed_successfully');
    expect(services['temporal-namespace'].depends_on.temporal.condition).toBe('service_healthy');
    // `--scale worker=5` needs no fixed host port or container name on the worker.
    expect(services.worker.ports).toBeUndefined();
    expect(services.worker.container_name).toBeUndefined();
  });

  it('sets only variables the config knows, and every one production needs', async () => {
    const { services } = await compose();
    for (const name of APP_SERVICES) {
      const env = services[name].environment as Record<string, string>;
      for (const key of Object.keys(env)) expect(variables.has(key), `${name}: ${key}`).toBe(true);
      expect(() =>
        parseConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[^}]+:-([^}]*)\}/g, '$1')]))),
      ).not.toThrow();
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
    const container = (name: string) =>
      docs.find((d) => d.kind === 'Deployment' && d.metadata.name === name)!.spec.template.spec.containers[0];
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

// ---------------------------------------------------------------------------------------------------
// The rendered deployment: what `docker compose` and `kubectl apply -k` would actually be given.

const run = promisify(execFile);
const OVERLAYS = ['deploy/k8s/base', 'deploy/k8s/overlays/local'] as const;
/** Newest Kubernetes whose schemas kubectl-validate v0.0.4 embeds (it works offline). */
const KUBERNETES_VERSION = '1.30';
/** An exact release: `name:1.2.3` plus an optional variant (`-bookworm`, `-tctl-…`); never `latest` or a bare major. */
const EXACT_TAG = /^[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.-]+)?(@sha256:[0-9a-f]{64})?$/;

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

let kustomize: string;
let kubectlValidate: string;
const rendered = new Map<string, K8sObject[]>();

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run(kustomize, ['build', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
}

/** kubectl-validate over the objects, one file each; resolves to its report, rejects when it fails. */
async function validateObjects(objects: unknown[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'k8s-validate-'));
  try {
    await Promise.all(objects.map((o, i) => writeFile(path.join(dir, `${String(i).padStart(3, '0')}.yaml`), stringify(o))));
    const { stdout } = await run(kubectlValidate, [dir, '--version', KUBERNETES_VERSION], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const podSpecOf = (o: K8sObject): any => (o.kind === 'Deployment' || o.kind === 'Job' ? o.spec.template.spec : undefined);

/** The Pod Security Standard "restricted" (the checks that apply to these pod specs). */
function restrictedViolations(o: K8sObject): string[] {
  const pod = podSpecOf(o);
  if (!pod) return [];
  const out: string[] = [];
  const podSc = pod.securityContext ?? {};
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const sc = c.securityContext ?? {};
    const where = `${o.kind}/${o.metadata.name}/${c.name}`;
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation must be false`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) out.push(`${where}: capabilities must drop ALL`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE'))
      out.push(`${where}: only NET_BIND_SERVICE may be added`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${where}: runAsUser must not be 0`);
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
    if (sc.privileged) out.push(`${where}: privileged`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${o.kind}/${o.metadata.name}: host namespaces`);
  for (const v of pod.volumes ?? []) {
    if (!['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'ephemeral', 'csi'].some((k) => k in v)) {
      out.push(`${o.kind}/${o.metadata.name}: volume ${v.name} of a type restricted forbids`);
    }
  }
  return out;
}

describe('rendered Kubernetes manifests (kustomize build, kubectl-validate)', () => {
  beforeAll(async () => {
    // CI installs both first (.ci/run); elsewhere the first run builds them once (minutes).
    kustomize = await findOrInstallGoTool(GO_TOOLS.kustomize);
    kubectlValidate = await findOrInstallGoTool(GO_TOOLS['kubectl-validate']);
    for (const dir of OVERLAYS) rendered.set(dir, await render(dir));
  }, 30 * 60_000);

  it.each(OVERLAYS)('%s: every object is valid against the Kubernetes schemas', { timeout: 60_000 }, async (dir) => {
    const objects = rendered.get(dir)!;
    expect(objects.length).toBeGreaterThan(10);
    await expect(validateObjects(objects)).resolves.toBeDefined();
  });

  it('kubectl-validate rejects an invalid manifest (the check above can fail)', { timeout: 60_000 }, async () => {
    const deployment = structuredClone(rendered.get('deploy/k8s/base')!.find((o) => o.kind === 'Deployment')!);
    deployment.spec.template.spec.containers[0].livenessProbe.httpGet.pathh = '/typo';
    await expect(validateObjects([deployment])).rejects.toThrow();
  });

  it.each(OVERLAYS)('%s: every pod meets Pod Security "restricted", and the namespace enforces it', (dir) => {
    const objects = rendered.get(dir)!;
    expect(objects.flatMap(restrictedViolations)).toEqual([]);
    const namespace = objects.find((o) => o.kind === 'Namespace')!;
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The checker itself: the base's pod spec without its hardening is reported.
    const bare = structuredClone(objects.find((o) => o.kind === 'Deployment')!);
    delete bare.spec.template.spec.securityContext;
    for (const c of bare.spec.template.spec.containers) delete c.securityContext;
    expect(restrictedViolations(bare).length).toBeGreaterThanOrEqual(4);
  });

  it.each(OVERLAYS)('%s: images carry exact tags, and the local overlay uses the locally built ones', (dir) => {
    const images = rendered.get(dir)!.flatMap((o) => (podSpecOf(o)?.containers ?? []).map((c: { image: string }) => c.image));
    for (const image of images) {
      expect(image, image).toMatch(/:[\w.-]+$/);
      expect(image, image).not.toMatch(/:latest$/);
    }
    const ours = images.filter((i) => i.includes('temporal-payments-'));
    expect(ours.length).toBe(4);
    if (dir.endsWith('local')) {
      // The names the README's `docker build -t …:dev` and `kind load` commands produce.
      expect(new Set(ours)).toEqual(new Set(['api', 'worker', 'web', 'migrate'].map((t) => `temporal-payments-${t}:dev`)));
    } else {
      for (const image of ours) expect(image).toMatch(/^ghcr\.io\/[\w.-]+\/temporal-payments-\w+:\d+\.\d+\.\d+$/);
    }
    for (const image of images.filter((i) => !ours.includes(i))) expect(image).toMatch(EXACT_TAG);
  });

  it.each(OVERLAYS)('%s: an HPA alone sets replica counts; disruption budgets never block a drain', (dir) => {
    const objects = rendered.get(dir)!;
    const scaled = new Set(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name));
    expect(scaled.size).toBe(2);
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      if (scaled.has(d.metadata.name)) expect(d.spec.replicas, d.metadata.name).toBeUndefined();
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      const target = objects.find(
        (o) =>
          o.kind === 'Deployment' &&
          o.spec.selector.matchLabels['app.kubernetes.io/name'] === pdb.spec.selector.matchLabels['app.kubernetes.io/name'],
      )!;
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === target.metadata.name);
      const fewest = hpa ? hpa.spec.minReplicas : (target.spec.replicas ?? 1);
      // A drain can evict a pod only if the budget allows one down at the smallest scale.
      if (pdb.spec.minAvailable !== undefined) expect(pdb.spec.minAvailable, pdb.metadata.name).toBeLessThan(fewest);
      else expect(pdb.spec.maxUnavailable, pdb.metadata.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('the migration Job is named after its image tag, so a new version is a new Job', () => {
    for (const dir of OVERLAYS) {
      const job = rendered.get(dir)!.find((o) => o.kind === 'Job')!;
      const tag = job.spec.template.spec.containers[0].image.split(':').pop();
      expect(job.metadata.name).toBe(`payments-migrate-${tag}`);
      expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    }
    const names = OVERLAYS.map((dir) => rendered.get(dir)!.find((o) => o.kind === 'Job')!.metadata.name);
    expect(new Set(names).size).toBe(OVERLAYS.length);
  });

  it.each(OVERLAYS)('%s: probes follow what each process can serve; grace periods exceed the shutdown deadline', async (dir) => {
    const objects = rendered.get(dir)!;
    const deployment = (name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec.template.spec;
    // The dashboard's probes ask for a static asset, which it serves while the API is down.
    const web = deployment('payments-web').containers[0];
    for (const probe of [web.livenessProbe, web.readinessProbe]) {
      expect(existsSync(path.join('web/static', probe.httpGet.path))).toBe(true);
    }
    // The API stays ready without Temporal (reads), and is restarted only when it does not answer.
    const api = deployment('payments-api').containers[0];
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    for (const name of ['payments-api', 'payments-worker', 'payments-web']) {
      expect(deployment(name).terminationGracePeriodSeconds * 1000, name).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
    }
  });

  it.each(OVERLAYS)('%s: the Ingress never sends one host and path to both the API and the dashboard', (dir) => {
    const ingress = rendered.get(dir)!.find((o) => o.kind === 'Ingress')!;
    const backends = new Map<string, Set<string>>();
    for (const rule of ingress.spec.rules) {
      const services = backends.get(rule.host) ?? new Set<string>();
      for (const p of rule.http.paths) services.add(p.backend.service.name);
      backends.set(rule.host, services);
    }
    expect([...backends.values()].map((s) => s.size)).toEqual([1, 1]);
    expect(new Set([...backends.values()].flatMap((s) => [...s]))).toEqual(new Set(['payments-api', 'payments-web']));
  });

  it('the local overlay needs nothing from the host: its services resolve inside the cluster', () => {
    const objects = rendered.get('deploy/k8s/overlays/local')!;
    expect(JSON.stringify(objects)).not.toContain('host.docker.internal');
    const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name));
    const config = objects.find((o) => o.kind === 'ConfigMap')!.data!;
    const secret = objects.find((o) => o.kind === 'Secret')!.stringData!;
    expect(services.has(config.TEMPORAL_ADDRESS!.split(':')[0]!)).toBe(true);
    expect(services.has(new URL(secret.DATABASE_URL!).hostname)).toBe(true);
  });
});

describe('docker-compose.yml against the Compose Specification', () => {
  /** What `docker compose` validates: anchors merged, `${VAR:-default}` interpolated, `$$` unescaped. */
  async function interpolatedCompose(): Promise<Record<string, any>> {
    const text = (await readFile('docker-compose.yml', 'utf8')).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    expect(text).not.toMatch(/(^|[^$])\$\{/);
    return JSON.parse(JSON.stringify(parse(text.replaceAll('$$', '$'), { merge: true })));
  }

  async function composeValidator() {
    // deploy/schemas/compose-spec.json: vendored from compose-spec/compose-spec (see its README).
    const schema = JSON.parse(await readFile('deploy/schemas/compose-spec.json', 'utf8'));
    // It names draft-07 by its https address, which Ajv knows by the http one; draft-07 is Ajv's default.
    delete schema.$schema;
    return new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  }

  it('is valid, and the validator rejects what Compose rejects', async () => {
    const validate = await composeValidator();
    const file = await interpolatedCompose();
    expect(validate(file) ? [] : validate.errors).toEqual([]);
    const broken = structuredClone(file);
    broken.services.api.restart_policy = 'always';
    expect(validate(broken)).toBe(false);
  });

  it('runs current Temporal images (no auto-setup) at exact versions, the server matching the one the tests run', async () => {
    const { services } = await interpolatedCompose();
    const images = Object.values(services).flatMap((s: any) => (s.image ? [s.image as string] : []));
    for (const image of images) expect(image).toMatch(EXACT_TAG);
    expect(images.some((i) => i.startsWith('temporalio/auto-setup'))).toBe(false);
    expect(services.temporal.image).toBe(`temporalio/server:${GO_TOOLS['temporal-server'].version.slice(1)}`);
    expect(services['temporal-schema'].image).toMatch(
      new RegExp(`^temporalio/admin-tools:${GO_TOOLS['temporal-server'].version.slice(1)}-`),
    );
    expect(services.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:2\.\d+\.\d+$/);
  });

  it('long-running services restart, report health, and get more time to stop than the process takes', async () => {
    const { services } = await interpolatedCompose();
    const oneShot = Object.entries(services)
      .filter(([, s]: [string, any]) => s.restart === 'no')
      .map(([n]) => n);
    expect(new Set(oneShot)).toEqual(new Set(['temporal-schema', 'temporal-namespace', 'migrate']));
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1]);
    for (const [name, s] of Object.entries(services) as Array<[string, any]>) {
      if (oneShot.includes(name)) continue;
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.healthcheck, name).toBeDefined();
      if (APP_SERVICES.includes(name)) expect(seconds(s.stop_grace_period) * 1000, name).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  it('builds on an exact Node LTS release and gives each served image a HEALTHCHECK', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(/^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    for (const [, from] of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(['${NODE_IMAGE}', 'deps', 'runtime']).toContain(from);
    const stages = dockerfile.split(/^FROM /m);
    for (const target of ['api', 'worker', 'web']) {
      const stage = stages.find((s) => s.startsWith(`runtime AS ${target}\n`))!;
      expect(stage, target).toMatch(/^HEALTHCHECK .* CMD \[/m);
    }
  });

  it('keeps secrets and local builds out of the build context', async () => {
    const ignored = (await readFile('.dockerignore', 'utf8')).split('\n').map((l) => l.trim());
    for (const entry of ['.env', 'web/build', 'web/.svelte-kit', 'node_modules', 'dist', '.data']) expect(ignored, entry).toContain(entry);
  });
});
