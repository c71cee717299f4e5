import { freePort } from '../dev/ports.js';
import { waitFor } from '../test/process-group.js';
import { startBenchEnvironment } from './environment.js';
const env = await startBenchEnvironment();
try {
  const port = await freePort();
  const child = env.processes.start('dist/api/main.js', { ...env.processEnv, PORT: String(port) }, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, 'api', 60000);
  for (let i = 0; i < 100; i++) await fetch(`${url}/healthz`);
  const t = performance.now();
  for (let i = 0; i < 500; i++) {
    await fetch(`${url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1, currency: 'EUR', delaySeconds: 3600 }) }).then((r) => r.text());
  }
  console.log('500 creates in', performance.now() - t);
  child.kill('SIGTERM');
  await waitFor(async () => child.exitCode !== null, 'exit', 20000);
} finally { await env.stop(); }
process.exit(0);
