import { NativeConnection, Worker } from '@temporalio/worker';
import { parseConfig, parseToolConfig } from '../common/config.js';
import { temporalConnectionSettings } from '../runtime/temporal-connection.js';
import { workerTuning } from '../worker/worker.js';
import { createBareActivities } from './bare-activities.js';

/** B0's worker, in its own process like ours, with the same tuning read from the same variables. */
const config = parseConfig();
const connection = await NativeConnection.connect(temporalConnectionSettings(config));
const worker = await Worker.create({
  connection,
  taskQueue: parseToolConfig().BARE_TASK_QUEUE!,
  workflowBundle: { codePath: parseToolConfig().BARE_BUNDLE! },
  activities: createBareActivities(config.GATEWAY_LATENCY_MS),
  ...workerTuning(config),
});
// The SDK's default runtime stops the worker on SIGTERM.
await worker.run();
await connection.close();
