/**
 * The Discord adapter as a process: `startDiscord` wired the way the composition root wires it, in a child
 * process (tsx) against the Discord stand-in; SIGTERM destroys the client (the gateway is closed with 1000)
 * and the process ends by itself with exit code 0. Once `src/main.ts` starts the adapter (`DISCORD_TOKEN`), the
 * same is checked on `tsx src/main.ts`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { FakeDiscord, FLAGS } from '../helpers/discord-api.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { ROOT } from '../helpers/run-process.ts';

const START_MS = 30_000;
const redis = connectRedis();

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

const running: Running[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.child.exitCode !== null || child.child.signalCode !== null) continue;
    child.child.kill('SIGKILL');
    await child.exited;
  }
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function start(args: string[], env: Record<string, string>): Running {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const started = { child, exited, stdout: () => out, stderr: () => err };
  running.push(started);
  return started;
}

async function standIn(): Promise<FakeDiscord> {
  const discord = await FakeDiscord.start();
  cleanups.push(() => discord.close());
  return discord;
}

/** Waits for `predicate`, failing with the process's output when it dies or takes too long. */
function until<T>(
  discord: FakeDiscord,
  main: Running,
  predicate: () => T | null | undefined | false,
  what: string,
): Promise<T> {
  const died = main.exited.then(({ code, signal }) => {
    throw new Error(`the process exited (${code ?? signal}) early.\nstderr:\n${main.stderr()}`);
  });
  return Promise.race([discord.waitFor(predicate, START_MS, what), died]);
}

/** The wiring `src/main.ts` gets (see adapters/discord/index.ts), as a script. */
function wiringScript(): string {
  return `
import { startDiscord } from '${ROOT}adapters/discord/index.ts';
import { systemClock } from '${ROOT}src/clock.ts';
import { PushRouter } from '${ROOT}src/engine/push.ts';
import { MemoryKv } from '${ROOT}src/kv/memory-kv.ts';
import { createLogger } from '${ROOT}src/log.ts';
import { createEngine } from '${ROOT}src/composition/engine.ts';
import { createServices } from '${ROOT}src/services.ts';

const log = createLogger('warn');
const kv = new MemoryKv(systemClock);
const services = createServices({
  kv,
  delivery: { send: async () => {} },
  clock: systemClock,
  log,
  secretKey: 'discord-process-test-secret-key-0123456789',
});
const push = new PushRouter();
const engine = createEngine(services, { push: push.send, pushReady: () => push.ready() });
const discord = await startDiscord({
  token: process.env.DISCORD_TOKEN ?? '',
  applicationId: process.env.DISCORD_APPLICATION_ID ?? '',
  apiRoot: process.env.DISCORD_API_ROOT,
  engine,
  push,
  kv,
  log,
});
process.stdout.write('ready\\n');
process.once('SIGTERM', () => {
  void discord.stop().then(() => process.stdout.write('stopped\\n'));
});
`;
}

describe('the Discord adapter as a process', { timeout: 60_000 }, () => {
  it('answers through the stand-in, and on SIGTERM destroys the client (gateway closed with 1000) and exits 0 by itself', async () => {
    const discord = await standIn();
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-discord-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'wiring.mts');
    writeFileSync(script, wiringScript());
    const main = start([script], {
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_ROOT: discord.apiRoot,
    });
    await until(discord, main, () => main.stdout().includes('ready'), 'the adapter to start');
    expect(discord.callsTo('PUT /applications/:app/commands')).toHaveLength(1);
    const person = discord.person('Carol');
    discord.slash(person, 'dm', 'help');
    const help = await until(
      discord,
      main,
      () => discord.seenBy(person, 'dm').find((message) => message.content === t('en', 'common.help')),
      'the help text',
    );
    expect(help.flags & FLAGS.Ephemeral).toBe(0);

    main.child.kill('SIGTERM');
    const { code } = await main.exited;
    expect(code).toBe(0);
    expect(main.stdout()).toContain('stopped');
    expect(discord.connections[0]).toMatchObject({ closeCode: 1000, closedBy: 'client' });
    expect(discord.connected).toBe(false);
  });

  const mainWiresDiscord = readFileSync(`${ROOT}src/main.ts`, 'utf8').includes('startDiscord');

  it.skipIf(!mainWiresDiscord)(
    'runs src/main.ts with DISCORD_TOKEN against the stand-in: commands registered, a DM answered, SIGTERM exits 0',
    async () => {
      const discord = await standIn();
      const prefix = uniquePrefix();
      cleanups.push(() => deleteByPrefix(redis, prefix));
      const main = start(['src/main.ts'], {
        DISCORD_TOKEN: discord.token,
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_API_ROOT: discord.apiRoot,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        SECRET_KEY: 'discord-main-test-secret-key-0123456789abc',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      });
      await until(
        discord,
        main,
        () => discord.callsTo('PUT /applications/:app/commands').length > 0,
        'the commands',
      );
      await until(discord, main, () => discord.connected, 'the gateway');
      const person = discord.person('Dave');
      discord.slash(person, 'dm', 'security');
      await until(
        discord,
        main,
        () =>
          discord.seenBy(person, 'dm').find((message) => message.content.startsWith(t('en', 'common.menu'))),
        'an answer to /security',
      );
      main.child.kill('SIGTERM');
      const { code } = await main.exited;
      expect(code).toBe(0);
      expect(discord.connections.at(-1)?.closeCode).toBe(1000);
    },
  );
});
