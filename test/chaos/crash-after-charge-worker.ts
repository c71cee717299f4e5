/**
 * A worker whose gateway dies right after the charge went through, before the activity can report
 * it: the process SIGKILLs itself once, the first time a payment asks for it (`data.crashAfterCharge`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseConfig, parseToolConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { connectDatabase } from '../../db/client.js';
import { temporalConnectionSettings } from '../../runtime/temporal-connection.js';
import { createSimulatorConnector } from '../../worker/connectors/simulator.js';
import { startPaymentWorker } from '../../worker/worker.js';

const config = parseConfig();
const marker = parseToolConfig().CRASH_MARKER!;
const database = await connectDatabase(config.DATABASE_URL!, 2);
const simulator = createSimulatorConnector({ db: database.db });
const worker = await startPaymentWorker({
  config,
  logger: createLogger(config),
  temporal: temporalConnectionSettings(config),
  db: database.db,
  gateway: {
    ...simulator,
    async authorize(request) {
      const result = await simulator.authorize(request);
      if (request.scenario === 'crash_after_charge' && !existsSync(marker)) {
        writeFileSync(marker, request.paymentId);
        process.kill(process.pid, 'SIGKILL');
      }
      return result;
    },
  },
});
await worker.done;
