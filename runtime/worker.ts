import { startEventPrune } from '../worker/event-prune.js';
import { startPaymentWorker, type PaymentWorkerOptions, type RunningWorker } from '../worker/worker.js';
import type { System } from './system.js';

/** What a caller may still choose about a worker; the rest comes from the system. */
export type WorkerChoices = Omit<PaymentWorkerOptions, 'config' | 'logger' | 'temporal' | 'db' | 'tracing'>;

/** A payment worker on a system's Postgres and Temporal, stopped (polling ended, tasks drained) before them. */
export async function startWorker(system: System, choices: WorkerChoices = {}): Promise<RunningWorker> {
  const { config, logger, tracing, temporalConnection, database } = system;
  const worker = await startPaymentWorker({ config, logger, tracing, temporal: temporalConnection, db: database.db, ...choices });
  system.shutdown.add(worker.stop);
  // Added after the worker, so it stops before it (shutdown runs in reverse order).
  system.shutdown.add(startEventPrune({ db: database.db, retentionMs: config.EVENT_RETENTION, logger }));
  return worker;
}
