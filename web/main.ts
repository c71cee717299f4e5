import { listen } from '../api/server.js';
import { runCli } from '../common/cli.js';
import { parseConfig, temporalUiUrl } from '../common/config.js';
import { onShutdownSignal } from '../dev/shutdown.js';
import { placeholderDashboard } from './placeholder.js';

/** The dashboard alone (`npm run web`), pointing at the API on PORT. */
await runCli(async () => {
  const config = parseConfig();
  const web = await listen(placeholderDashboard(`http://localhost:${config.PORT}`, temporalUiUrl(config)), config.WEB_PORT, config.HOST, 'WEB_PORT');
  console.log(`dashboard on ${web.url}`);
  onShutdownSignal(web.close);
});
