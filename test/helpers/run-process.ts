import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript entry point with tsx, feeding `stdin` through a pipe, as `npm start` would. */
export function runScript(
  script: string,
  options: {
    args?: string[];
    stdin?: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
  } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...options.env,
    })) {
      if (value !== undefined) env[key] = value;
    }
    const child = spawn(TSX, [script, ...(options.args ?? [])], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in time.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A long-running entry point started by `startScript`. */
export interface RunningScript {
  readonly child: ChildProcessWithoutNullStreams;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** Resolves once the process is gone, with its code or signal and when it went. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects when the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal to the process group (tsx and the node process it started). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the whole group if it still runs, and waits for it. */
  kill(): Promise<void>;
}

/**
 * Starts a TypeScript entry point with tsx in its own process group, as `npm start` would, with only
 * PATH, HOME and `env` in its environment. Call `kill()` when done (an `afterEach` does it best).
 */
export function startScript(
  script: string,
  options: { env?: Record<string, string | undefined>; args?: string[] } = {},
): RunningScript {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...options.env,
  })) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(TSX, [script, ...(options.args ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    changed();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    changed();
  });
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('close', (code, signal) => {
      gone = true;
      changed();
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const group = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  return {
    child,
    startedAt: Date.now(),
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (gone) {
            done();
            reject(
              new Error(`${script} ended before printing ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script} did not print ${pattern} in time.\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    signal: group,
    async kill() {
      if (gone) return;
      group('SIGKILL');
      await exited;
    },
  };
}
