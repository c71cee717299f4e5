import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { ProcessIdentity } from './process-identity.js';

export interface Watchdog {
  /** The child was stopped on purpose: the watchdog leaves without touching anything. */
  disarm(): void;
}

/** How a watchdog's command line starts, so it can be told apart in `ps` (and by tests). */
export const WATCHDOG_NAME = 'payments-watchdog';

/**
 * Waits for a line on stdin. "disarm" means the supervisor stopped the child itself; end of file
 * means the supervisor is gone (even by kill -9, which no handler of its own sees). Then, if the
 * pid still is the process it was (same start time, so a recycled pid is left alone), it sends
 * the signal, waits out the grace period, and kills what remains.
 */
const SCRIPT = `
pid=$1 start=$2 target=$3 signal=$4 grace_tenths=$5
alive() {
  [ -r /proc/$$/stat ] || { kill -0 "$pid" 2>/dev/null; return; }
  s=$(cat /proc/$pid/stat 2>/dev/null) || return 1
  set -- \${s##*) }
  [ "$1" != Z ] && [ "\${20}" = "$start" ]
}
read -r word
[ "$word" = disarm ] && exit 0
alive || exit 0
kill -s "$signal" -- "$target" 2>/dev/null
i=0
while [ $i -lt "$grace_tenths" ]; do alive || exit 0; sleep 0.1; i=$((i + 1)); done
alive && kill -s KILL -- "$target" 2>/dev/null
exit 0
`;

/**
 * Node has no PR_SET_PDEATHSIG, so a child of ours would outlive a supervisor killed with -9. A
 * tiny shell process in its own session holds the other end of a pipe from us and stops the child
 * when that pipe closes: the kernel closes it whenever we die, however we die.
 */
export function watchOver(child: ProcessIdentity, options: { signal: NodeJS.Signals; group?: boolean; graceMs?: number }): Watchdog {
  const target = options.group ? `-${child.pid}` : String(child.pid);
  const graceTenths = String(Math.ceil((options.graceMs ?? 3_000) / 100));
  const signal = options.signal.replace(/^SIG/, '');
  // Own session: a Ctrl-C or a kill of our process group must not take the watchdog with it.
  const dog = spawn('/bin/sh', ['-c', SCRIPT, WATCHDOG_NAME, String(child.pid), child.startTime, target, signal, graceTenths], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  dog.on('error', () => {});
  dog.stdin!.on('error', () => {});
  // Neither the watchdog nor its pipe may keep a finished CLI alive.
  dog.unref();
  (dog.stdin as unknown as Socket).unref();
  return {
    disarm: () => {
      if (dog.stdin!.writable) dog.stdin!.end('disarm\n');
    },
  };
}
