import { listen } from '../api/server.js';
import { runCli } from '../common/cli.js';
import { parseConfig } from '../common/config.js';
import { shutdownOnSignal } from '../dev/shutdown.js';
import { dashboardHandler } from './serve.js';

/** The dashboard alone (`npm run web`), reaching the API at API_URL. */
const shutdown = shutdownOnSignal();
await runCli(async () => {
  const config = parseConfig();
  const web = await listen(await dashboardHandler(), config.WEB_PORT, config.HOST, 'WEB_PORT');
  shutdown.add(web.close);
  console.log(`dashboard on ${web.url} (API at ${config.API_URL})`);
});
