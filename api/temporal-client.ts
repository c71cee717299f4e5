import { Client, Connection, type ClientPlugin } from '@temporalio/client';
import { StartupError } from '../common/startup-error.js';

/** One Temporal connection per process; an unreachable server is one clear error. */
export async function connectTemporalClient(address: string, namespace: string, plugins: ClientPlugin[] = []): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new StartupError(`cannot reach Temporal at ${address}: ${(err as Error).message.split('\n')[0]}`);
  }
  return new Client({ connection, namespace, plugins });
}
