/**
 * A private `redis-server` on a free port that keeps nothing on disk: used by the test setup and by
 * `npm run bench`, so neither touches a Redis somebody else uses.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePort } from './ports.ts';

export interface RedisServer {
  readonly url: string;
  stop(): void;
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

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPing(port, child);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
