import type { RequestListener } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { StartupError } from '../common/startup-error.js';
import { listen } from '../runtime/listen.js';

/** What web/serve.ts hands the dashboard's thread; its environment comes as the thread's own. */
export interface DashboardThreadData {
  handlerFile: string;
  port: number;
  host: string;
}

/** What the thread answers: where it listens, or why it could not; then that it closed. */
export type DashboardThreadMessage = { listening: string } | { failed: string; startup: boolean } | { closed: true };

const port = parentPort!;
const send = (message: DashboardThreadMessage) => port.postMessage(message);
const data = workerData as DashboardThreadData;
try {
  const { handler } = (await import(pathToFileURL(data.handlerFile).href)) as { handler: RequestListener };
  const server = await listen(
    (req, res) => {
      req.headers['x-forwarded-proto'] ??= 'http';
      handler(req, res);
    },
    data.port,
    data.host,
    'WEB_PORT',
  );
  port.on('message', (message) => {
    if (message === 'close') void server.close().then(() => send({ closed: true }));
  });
  send({ listening: server.url });
} catch (err) {
  send({ failed: (err as Error).message, startup: err instanceof StartupError });
}
