import { text } from 'node:stream/consumers';
import { runCli } from '../common/cli.js';
import { childEnvironment, parseConfig } from '../common/config.js';
import { runConnectorCommand } from '../api/connector-cli-commands.js';
import { openCliDatabase } from './cli-database.js';

/** `npm run connectors -- …`, on the database openCliDatabase finds (or starts). */
await runCli(() => {
  const config = parseConfig();
  return runConnectorCommand(process.argv.slice(2), {
    config,
    // The variable --secret-key-env names is read from a copy of the environment (only config.ts reads the real one).
    env: childEnvironment(),
    readStdin: () => {
      if (process.stdin.isTTY) process.stderr.write('stripe secret key (kept out of shell history; Enter, then Ctrl-D): ');
      return text(process.stdin);
    },
    out: (line) => console.log(line),
    openDatabase: () => openCliDatabase(config),
  });
});
