import { Client, Connection, type ClientPlugin } from '@temporalio/client';
import { StartupError } from '../common/startup-error.js';
import { describeTemporalConnection, type TemporalConnectionSettings } from '../runtime/temporal-connection.js';

/** One Temporal connection per process; an unreachable (or TLS-refusing) server is one clear error. */
export async function connectTemporalClient(
  settings: TemporalConnectionSettings,
  namespace: string,
  plugins: ClientPlugin[] = [],
): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings, connectTimeout: 5_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new StartupError(`cannot reach Temporal at ${describeTemporalConnection(settings)}: ${(err as Error).message.split('\n')[0]}`);
  }
  return new Client({ connection, namespace, plugins });
}
