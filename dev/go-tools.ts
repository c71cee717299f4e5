import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../common/config.js';
import { StartupError } from '../common/startup-error.js';
import { isExecutable, temporalCacheDir } from './temporal-cli.js';

const run = promisify(execFile);

/** A tool the tests or the dev setup need, built from the Go module proxy (no other download works here). */
export interface GoTool {
  /** The name it gets in the per-user cache (`go install` names some binaries just `server`). */
  readonly name: string;
  readonly pkg: string;
  readonly version: string;
}

/** Pinned versions, each verified to build here with the installed Go (see ../shared/STACK.md). */
export const GO_TOOLS = {
  'temporal-server': { name: 'temporal-server', pkg: 'go.temporal.io/server/cmd/server', version: 'v1.29.1' },
  'temporal-sql-tool': { name: 'temporal-sql-tool', pkg: 'go.temporal.io/server/cmd/tools/sql', version: 'v1.29.1' },
  toxiproxy: { name: 'toxiproxy-server', pkg: 'github.com/Shopify/toxiproxy/v2/cmd/server', version: 'v2.5.0' },
  kustomize: { name: 'kustomize', pkg: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.2' },
  'kubectl-validate': { name: 'kubectl-validate', pkg: 'sigs.k8s.io/kubectl-validate', version: 'v0.0.4' },
  'stripe-mock': { name: 'stripe-mock', pkg: 'github.com/stripe/stripe-mock', version: 'v0.203.0' },
} as const satisfies Record<string, GoTool>;

export type GoToolName = keyof typeof GO_TOOLS;

/** Where a tool lives once installed: one copy per user, shared by every clone and by CI reruns. */
export const goToolPath = (tool: GoTool): string => path.join(temporalCacheDir(), 'bin', tool.name);

/**
 * The tool's binary: an explicit path if given, else the per-user cache, else `go install` once
 * into a private directory and moved into place, so two processes installing at once never see a
 * half-written binary.
 */
export async function findOrInstallGoTool(
  tool: GoTool,
  options: { explicit?: string; log?: (line: string) => void } = {},
): Promise<string> {
  if (options.explicit) {
    if (isExecutable(options.explicit)) return options.explicit;
    throw new StartupError(`${options.explicit} (given for ${tool.name}) is not an executable file`);
  }
  const target = goToolPath(tool);
  if (isExecutable(target)) return target;
  const log = options.log ?? ((line: string) => console.error(line));
  log(`${tool.name} not found; building it once for this machine with go install ${tool.pkg}@${tool.version}…`);
  await mkdir(path.dirname(target), { recursive: true });
  const gobin = await mkdtemp(`${target}.install-`);
  try {
    await run('go', ['install', `${tool.pkg}@${tool.version}`], {
      env: childEnvironment({ GOBIN: gobin, GOFLAGS: '-mod=mod' }),
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [built] = await readdir(gobin);
    if (!built) throw new Error('go install finished without a binary');
    await rename(path.join(gobin, built), target);
    return target;
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (err as Error).message;
    throw new StartupError(
      `could not build ${tool.name} (${detail}); install Go and retry, or run: GOBIN=$(mktemp -d) go install ${tool.pkg}@${tool.version} and copy the binary to ${target}`,
    );
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}
