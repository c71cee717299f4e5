import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../common/cli.js';
import { parseToolConfig } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';
import { isExecutable, temporalCacheDir } from './temporal-cli.js';

const run = promisify(execFile);

/** Pinned: the seeded run in test/integration/schemathesis.test.ts is reproducible only on one version. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** A virtualenv in the per-user cache shared by every clone on the machine, so it is installed once. */
export function schemathesisVenvDir(): string {
  return path.join(temporalCacheDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);
}

const cachedBinary = () => path.join(schemathesisVenvDir(), 'bin', 'st');

/** The version `st --version` reports (`st, version 4.32.5`), or undefined when it does not run. */
async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 60_000 });
    return /^st, version (\S+)/m.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

type Log = (line: string) => void;

/**
 * Finds the Schemathesis CLI (`st`): $SCHEMATHESIS_BIN, then the per-user virtualenv; failing those
 * it creates that virtualenv (`python3 -m venv`) and installs the pinned version from PyPI into it.
 * Never returns without a binary of the pinned version.
 */
export async function findOrInstallSchemathesis(options: { explicit?: string; log?: Log } = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.explicit) {
    if (!isExecutable(options.explicit)) throw new StartupError(`SCHEMATHESIS_BIN=${options.explicit} is not an executable file`);
    const version = await versionOf(options.explicit);
    if (version !== SCHEMATHESIS_VERSION) {
      throw new StartupError(
        `SCHEMATHESIS_BIN=${options.explicit} is version ${version ?? 'unknown'}; the tests are pinned to ${SCHEMATHESIS_VERSION}`,
      );
    }
    return options.explicit;
  }
  if (isExecutable(cachedBinary()) && (await versionOf(cachedBinary())) === SCHEMATHESIS_VERSION) return cachedBinary();

  const venv = schemathesisVenvDir();
  await mkdir(path.dirname(venv), { recursive: true });
  // Two test runs on a fresh machine must not build the same virtualenv over each other.
  const lock = `${venv}.lock`;
  for (const started = Date.now(); ;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > INSTALL_TIMEOUT_MS) await rm(lock, { recursive: true, force: true });
      else if (Date.now() - started > INSTALL_TIMEOUT_MS)
        throw new StartupError(`another install of Schemathesis holds ${lock}; remove it if none is running`);
      else await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  try {
    if (isExecutable(cachedBinary()) && (await versionOf(cachedBinary())) === SCHEMATHESIS_VERSION) return cachedBinary();
    await install(venv, log);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  const version = await versionOf(cachedBinary());
  if (version !== SCHEMATHESIS_VERSION)
    throw new StartupError(`the install finished but ${cachedBinary()} reports version ${version ?? 'unknown'}`);
  return cachedBinary();
}

const INSTALL_TIMEOUT_MS = 20 * 60_000;

async function install(venv: string, log: Log): Promise<void> {
  log(`Schemathesis ${SCHEMATHESIS_VERSION} not found; installing it once for this machine (into ${venv})…`);
  // A half-made virtualenv (an interrupted install) is replaced, not repaired.
  await rm(venv, { recursive: true, force: true });
  const python = parseToolConfig().PYTHON;
  try {
    await run(python, ['-m', 'venv', venv], { timeout: 5 * 60_000 });
  } catch (err) {
    await rm(venv, { recursive: true, force: true });
    throw new StartupError(
      `could not create a Python virtualenv with ${python} -m venv (${firstLine(err)}). ` +
        `On Debian/Ubuntu: apt-get install python3-venv; or install schemathesis==${SCHEMATHESIS_VERSION} yourself and set SCHEMATHESIS_BIN.`,
    );
  }
  try {
    await run(
      path.join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', `schemathesis==${SCHEMATHESIS_VERSION}`],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (err) {
    await rm(venv, { recursive: true, force: true });
    throw new StartupError(
      `could not install schemathesis==${SCHEMATHESIS_VERSION} from PyPI (${firstLine(err)}). ` +
        `Install it yourself (pip install schemathesis==${SCHEMATHESIS_VERSION}) and set SCHEMATHESIS_BIN to its st binary.`,
    );
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).split('\n').filter(Boolean);
  return text[text.length - 1] ?? 'failed';
}

// `node --import tsx dev/schemathesis.ts`: makes sure this machine has it (CI runs it up front).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runCli(async () => {
    const st = await findOrInstallSchemathesis({ explicit: parseToolConfig().SCHEMATHESIS_BIN });
    console.log(`Schemathesis: ${st}`);
  });
}
