/**
 * Signals straight to the node process that `tsx src/main.ts` started, as `docker stop` sends SIGTERM to
 * the image's PID 1 (`node dist/src/main.js`). Sent to tsx instead, a signal goes through tsx's relay,
 * which SIGKILLs the child when it does not acknowledge within 30 ms (easily missed on a busy machine).
 */
import { readFileSync } from 'node:fs';
import type { RunningScript } from './run-process.ts';

/** The pid of the node process tsx runs `main` in (tsx's one child; Linux /proc). */
export function nodePid(main: Pick<RunningScript, 'child'>): number {
  const tsx = main.child.pid;
  if (tsx === undefined) throw new Error('the process has no pid');
  const children = readFileSync(`/proc/${tsx}/task/${tsx}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(children[0]);
  if (children.length !== 1 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`tsx (${tsx}) has children "${children.join(' ')}", not one node process`);
  }
  return pid;
}

/** Sends `signal` to the node process of `main` only. */
export function signalNode(main: Pick<RunningScript, 'child'>, signal: NodeJS.Signals): void {
  process.kill(nodePid(main), signal);
}
