import { text } from 'node:stream/consumers';
import { runCli } from '../common/cli.js';
import { childEnvironment, databaseUrl, parseConfig } from '../common/config.js';
import { connectDatabase } from '../db/client.js';
import { runConnectorCommand } from './connector-cli-commands.js';

/** The connectors CLI of a deployment (`connectors …` in the api image): the database DATABASE_URL names, already migrated. */
await runCli(() => {
  const config = parseConfig();
  return runConnectorCommand(process.argv.slice(2), {
    openDatabase: () => connectDatabase(databaseUrl(config), 1),
    config,
    // The variable --secret-key-env names is read from a copy of the environment (only config.ts reads the real one).
    env: childEnvironment(),
    readStdin: () => text(process.stdin),
    out: (line) => console.log(line),
  });
});
