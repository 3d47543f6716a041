/**
 * A private `redis-server` on a free port that keeps nothing on disk: used by the test setup and by
 * `npm run bench`, so neither touches a Redis somebody else uses. Fault tests can ask for one that keeps
 * its data across a stop and a restart on the same port (`persistent`), like a real Redis coming back.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM) without waiting; for the end of a run. Removes a persistent server's files. */
  stop(): void;
  /** Stops it and resolves once the process is gone (clients see their connections closed). */
  halt(): Promise<void>;
  /** Starts it again on the same port (with its data, when persistent); resolves once it answers PING. */
  restart(): Promise<void>;
  /** True while the process runs. */
  readonly running: boolean;
}

/** True when the `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).status === 0;
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early with code ${child.exitCode}`);
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer on port ${port} within 10 s`);
}

/**
 * Starts a private server. With `persistent`, it writes an append-only file (fsync on every write) in a
 * temporary folder, so `halt()` then `restart()` brings back every key, as a real deployment's Redis does.
 */
export async function startRedisServer(
  options: { readonly persistent?: boolean } = {},
): Promise<RedisServer> {
  const port = await freePort();
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'lockstep-redis-')) : null;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    ...(dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    await waitForPing(port, started);
  };
  const halt = async (): Promise<void> => {
    const current = child;
    child = null;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const gone = once(current, 'exit');
    current.kill('SIGTERM');
    await gone;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      const current = child as ChildProcess | null;
      return current !== null && current.exitCode === null && current.signalCode === null;
    },
    stop: () => {
      const current = child as ChildProcess | null;
      child = null;
      current?.kill('SIGTERM');
      if (dir) {
        if (current && current.exitCode === null) {
          current.once('exit', () => rmSync(dir, { recursive: true, force: true }));
        } else {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    },
    halt,
    async restart() {
      await halt();
      await launch();
    },
  };
}
