import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { shutdownOnSignal } from '../runtime/shutdown.js';
import { startDashboard } from './serve.js';

/** The dashboard alone (`npm run web`), reaching the API at API_URL. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const web = await startDashboard({ port: config.WEB_PORT, host: config.HOST });
  shutdown.add(web.close);
  console.log(`dashboard on ${web.url} (API at ${config.API_URL})`);
  await web.done;
});
