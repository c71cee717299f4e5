import { runCli } from '../common/cli.js';
import { findOrInstallGoTool, GO_TOOLS, type GoToolName } from './go-tools.js';

/** `npm run tools:install -- kustomize toxiproxy …`: builds the named tools once (CI runs it first). */
await runCli(async () => {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in GO_TOOLS));
  if (unknown.length) throw new Error(`unknown tool(s): ${unknown.join(', ')}; known: ${Object.keys(GO_TOOLS).join(', ')}`);
  for (const name of names.length ? (names as GoToolName[]) : (Object.keys(GO_TOOLS) as GoToolName[])) {
    console.log(`${name}: ${await findOrInstallGoTool(GO_TOOLS[name])}`);
  }
});
