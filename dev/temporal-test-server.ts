import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from '../common/startup-error.js';
import { isExecutable, temporalCacheDir } from './temporal-cli.js';

const run = promisify(execFile);

/** The Java SDK's time-skipping test server, as Maven Central serves it (the SDK's download host is unreachable here). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.32.1';
const ARTIFACT = `io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`;
// The server logs through SLF4J 1.7 without a binding, which prints a warning into every test run;
// the no-op binding of the same version silences it.
const SLF4J_NOP = 'org.slf4j:slf4j-nop:1.7.36';

/** Per version, so a version bump installs beside the old one instead of mixing jars. */
export const testServerDir = () => path.join(temporalCacheDir(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
const cachedWrapper = () => path.join(testServerDir(), 'temporal-test-server');

type Log = (line: string) => void;

/**
 * Finds the time-skipping test server: an explicit path (TEMPORAL_TEST_SERVER), then the per-user
 * cache; failing those installs it once with Maven. Returns an executable that takes the SDK's
 * arguments (`<port> [extra args…]`), for `TestWorkflowEnvironment.createTimeSkipping` with an
 * `existing-path` executable.
 */
export async function findOrInstallTemporalTestServer(options: { explicit?: string; log?: Log } = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.explicit) {
    if (isExecutable(options.explicit)) return options.explicit;
    throw new StartupError(`TEMPORAL_TEST_SERVER=${options.explicit} is not an executable file`);
  }
  if (isExecutable(cachedWrapper())) return cachedWrapper();
  log(`Temporal test server not found; installing ${ARTIFACT} once for this machine with Maven (into ${testServerDir()})…`);
  try {
    await installWithMaven(testServerDir());
  } catch (err) {
    throw new StartupError(
      `the Temporal test server is missing and could not be installed with Maven (${lastLine(err)}). ` +
        `It needs Java 17+ and Maven reaching Maven Central; or set TEMPORAL_TEST_SERVER to an executable ` +
        `that starts io.temporal.testserver.TestServer with the port as its first argument.`,
    );
  }
  return cachedWrapper();
}

/**
 * Copies the artifact and its runtime dependencies into `<dir>/lib` and writes the wrapper. Built in a
 * sibling directory and renamed into place, so an interrupted install never leaves a half cache
 * that the lookup above would take for a complete one.
 */
async function installWithMaven(dir: string): Promise<void> {
  for (const tool of ['java', 'mvn']) {
    await run(tool, ['-version'], { timeout: 60_000 }).catch(() => {
      throw new Error(`${tool} is not installed`);
    });
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const staging = await mkdtemp(`${dir}.partial-`);
  try {
    await writeFile(path.join(staging, 'pom.xml'), pom([ARTIFACT, SLF4J_NOP]));
    await run(
      'mvn',
      ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${path.join(staging, 'lib')}`],
      {
        cwd: staging,
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const jars = (await readdir(path.join(staging, 'lib'))).filter((f) => f.endsWith('.jar'));
    if (!jars.includes(`temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`))
      throw new Error('Maven copied no temporal-test-server jar');
    await rm(path.join(staging, 'pom.xml'));
    // The SDK waits only 5 s for the server to answer: a lean JIT keeps a busy machine inside that.
    const wrapper = [
      '#!/bin/sh',
      `# Written by dev/temporal-test-server.ts: the SDK runs "<this> <port> [args…]".`,
      `exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -cp "$(dirname "$0")/lib/*" io.temporal.testserver.TestServer "$@"`,
      '',
    ].join('\n');
    await writeFile(path.join(staging, 'temporal-test-server'), wrapper);
    await chmod(path.join(staging, 'temporal-test-server'), 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  if (!existsSync(cachedWrapper())) throw new Error('install finished without the wrapper');
}

function pom(artifacts: string[]): string {
  const dependencies = artifacts.map((coordinates) => {
    const [groupId, artifactId, version] = coordinates.split(':');
    return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.temporal-payments</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies.join('\n')}
  </dependencies>
</project>
`;
}

function lastLine(err: unknown): string {
  const e = err as { stdout?: string; stderr?: string; message?: string };
  const text = `${e.stderr ?? ''}\n${e.stdout ?? ''}`.trim() || e.message || String(err);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // Maven's useful line is the last [ERROR] one; anything else, the last line.
  return lines.filter((l) => l.startsWith('[ERROR]')).at(0) ?? lines.at(-1) ?? 'failed';
}
