/**
 * `npm run bench`: lockstep beside its peers, in one process and on one private redis-server (never a Redis
 * somebody else uses: the benchmark flushes it between runs). Figures for the README and the issue notes,
 * never asserted in unit tests.
 *
 * The swap-phone task (`/start`, `/phone`, the choice to send the code, the code, the new number, the code,
 * `/menu`) for BENCH_USERS simulated users (default 2,000), BENCH_IN_FLIGHT at a time (default 200), through
 * three grammY bots fed with `bot.handleUpdate` and a stub Bot API (no network):
 * - lockstep: the real Telegram adapter, engine, flows and services on Redis;
 * - floor: a bare grammY bot doing one GET and one SET per message and one sendMessage;
 * - conversations: @grammyjs/conversations 2 on @grammyjs/storage-redis, the same task.
 * Variants: 4 wrong codes before the right one; BENCH_IDLE (default 10,000) idle sessions alive beforehand.
 * Then Redis bytes per chat, one chat alone, and password hashing apart.
 *
 * BENCH_ONLY=lockstep (a comma list of bot names) runs only those bots and skips hashing
 * (`npm run bench:profile`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { Driver, makeUsers, runAll, type Step, swapPhoneScript } from './driver.ts';
import {
  cloneKeys,
  commandDelta,
  memoryDelta,
  memorySnapshot,
  serverStats,
  timesToLive,
} from './redis-meter.ts';
import { StubApi } from './stub-api.ts';
import {
  BOT_NAMES,
  type BotName,
  createConversations,
  createFloor,
  createLockstep,
  IndexedDelivery,
  type SimUser,
  type Storage,
  type Subject,
} from './subjects.ts';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

const USERS = intEnv('BENCH_USERS', 2_000);
const IN_FLIGHT = intEnv('BENCH_IN_FLIGHT', 200);
const IDLE = intEnv('BENCH_IDLE', 10_000);
const MEMORY_CHATS = Math.min(IN_FLIGHT, USERS);
const ALONE_SWAPS = 20;
const WRONG = 4;
const ONLY = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((name) => name.trim()))
  : null;
for (const name of ONLY ?? []) {
  if (!BOT_NAMES.includes(name as BotName))
    throw new Error(`BENCH_ONLY: unknown bot ${name} (${BOT_NAMES.join(', ')})`);
}
const BOTS = BOT_NAMES.filter((name) => !ONLY || ONLY.has(name));

// ---- formatting -----------------------------------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const row = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' ');

// ---- one bot under test -----------------------------------------------------------------------------------

let url = '';
let admin: Redis;
let passwordHash = '';

interface Fixture {
  readonly subject: Subject;
  readonly api: StubApi;
  readonly delivery: IndexedDelivery;
  readonly driver: Driver;
}

/** A fresh bot on an empty database. */
async function fixture(name: BotName, storage: Storage = 'redis'): Promise<Fixture> {
  await admin.flushdb();
  const api = new StubApi();
  const delivery = new IndexedDelivery();
  const subject =
    name === 'lockstep'
      ? await createLockstep(url, api, delivery, passwordHash, storage)
      : name === 'floor'
        ? await createFloor(url, api)
        : await createConversations(url, api, delivery);
  return { subject, api, delivery, driver: new Driver(subject, api, delivery) };
}

/** What went wrong in a run: problems the bot logged, silent updates, users whose phone did not change. */
async function check(f: Fixture, users: readonly SimUser[]): Promise<string[]> {
  const failures: string[] = [];
  if (f.subject.problems.length > 0) {
    failures.push(`${f.subject.problems.length} warnings/errors logged, first: ${f.subject.problems[0]}`);
  }
  if (f.driver.silent > 0) failures.push(`${f.driver.silent} updates got no message back`);
  let unfinished = 0;
  let example = '';
  for (const user of users) {
    const phone = await f.subject.phoneOf(user);
    if (phone !== null && phone !== user.newPhone) {
      unfinished += 1;
      example ||= `user ${user.index}: phone ${phone}, expected ${user.newPhone}; last reply "${f.api.chat(user.id).lastText.slice(0, 120)}"`;
    }
  }
  if (unfinished > 0)
    failures.push(`${unfinished} of ${users.length} users did not swap their phone (${example})`);
  return failures;
}

interface RunResult {
  readonly bot: BotName;
  readonly messages: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly roundTrips: number;
  readonly commands: number;
  readonly topCommands: string;
  readonly cpuMicros: number;
  readonly redisCpuMicros: number;
  readonly apiCalls: number;
  readonly failures: string[];
}

/** The timed run: every user through the script, IN_FLIGHT at a time. */
/**
 * Under `node --cpu-prof`, the timed runs' time windows (µs on the monotonic clock V8's profile uses) are
 * written next to the profile, so bench/top-functions.ts can leave seeding and setup out.
 */
const PROFILING = process.execArgv.some((arg) => arg.startsWith('--cpu-prof'));
const timedWindows: [number, number][] = [];
/** The same for the in-memory diagnostic run, kept apart (`PROFILE_WINDOWS=memory bench/top-functions.ts`). */
const memoryWindows: [number, number][] = [];
/** Messages handled inside the windows, so the profile can say µs per message. */
const windowMessages: Record<Storage, number> = { redis: 0, memory: 0 };
/** The in-memory diagnostic run's name in the tables. */
const IN_MEMORY_LABEL = 'lockstep, mem';
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

async function timedRun(
  name: BotName,
  script: readonly Step[],
  idle: number,
  users = USERS,
  warmUp = false,
  storage: Storage = 'redis',
): Promise<RunResult> {
  const f = await fixture(name, storage);
  const { subject, api, driver } = f;
  const sims = makeUsers(users);
  await subject.seed(sims);
  if (idle > 0) {
    // One chat brought to the first code prompt for real, then copied: sessions that stay open and idle.
    const base = makeUsers(1, users)[0] as SimUser;
    const template: SimUser = { ...base, id: 555_000_001 };
    await subject.seed([template]);
    await driver.run(template, script.slice(0, 3));
    const ids = Array.from({ length: idle }, (_, k) => String(900_000_000 + k));
    const copied = await cloneKeys(admin, String(template.id), ids);
    if (copied === 0) throw new Error(`${name}: the idle template chat has no keys to copy`);
    await subject.cloneExtra?.(admin, template, ids);
  }
  api.resetCounts();
  driver.silent = 0;
  subject.meter.reset();
  const before = await serverStats(admin);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const windowStart = monotonicMicros();
  const latencies = await runAll(driver, sims, script, IN_FLIGHT);
  if (!warmUp) {
    (storage === 'redis' ? timedWindows : memoryWindows).push([windowStart, monotonicMicros()]);
    windowMessages[storage] += latencies.length;
  }
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const after = await serverStats(admin);
  const roundTrips = subject.meter.roundTrips;
  const apiCalls = api.total;
  const failures = await check(f, sims);
  await subject.close();
  const messages = latencies.length;
  latencies.sort((a, b) => a - b);
  const commands = commandDelta(before, after);
  const totalCommands = [...commands.values()].reduce((a, b) => a + b, 0);
  const topCommands = [...commands.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([command, calls]) => `${command} ${fmt(calls / messages, 2)}`)
    .join(', ');
  return {
    bot: name,
    messages,
    perSecond: messages / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    roundTrips: roundTrips / messages,
    commands: totalCommands / messages,
    topCommands,
    cpuMicros: (used.user + used.system) / messages,
    redisCpuMicros: (after.cpuMicros - before.cpuMicros) / messages,
    apiCalls: apiCalls / messages,
    failures,
  };
}

const RUN_WIDTHS = [14, 8, 7, 7, 7, 7, 8, 8, 9, 8];

function printRunHeader(): void {
  console.log(
    row(
      ['bot', 'msg/s', 'p50 ms', 'p95 ms', 'p99 ms', 'RT/msg', 'cmd/msg', 'CPU µs', 'redis µs', 'API/msg'],
      RUN_WIDTHS,
    ),
  );
}

function printRun(r: RunResult, label: string = r.bot): void {
  console.log(
    row(
      [
        label,
        int(r.perSecond),
        fmt(r.p50),
        fmt(r.p95),
        fmt(r.p99),
        fmt(r.roundTrips, 2),
        fmt(r.commands, 2),
        int(r.cpuMicros),
        int(r.redisCpuMicros),
        fmt(r.apiCalls, 2),
      ],
      RUN_WIDTHS,
    ),
  );
  for (const failure of r.failures) console.log(`  !! ${r.bot} FAILED: ${failure}`);
}

// ---- memory -----------------------------------------------------------------------------------------------

interface MemoryPoint {
  readonly label: string;
  /** Bytes per chat by category. */
  readonly byCategory: Map<string, number>;
  /** Everything but the account records and their security log: what the conversation costs. */
  readonly state: number;
  /** The chat's conversation state value, in bytes (first chat). */
  readonly stateValue: number;
}

interface MemoryResult {
  readonly bot: BotName;
  /** Redis round trips per chat of each step. */
  /** Redis round trips and Node CPU (µs) per chat of each step, all chats doing it at once. */
  readonly steps: { readonly label: string; readonly trips: number; readonly cpu: number }[];
  readonly waits: MemoryPoint[];
  readonly finished: MemoryPoint;
  /**
   * Bytes per finished chat still held after each of these waits (from every key's remaining time to live
   * at the end; account records and their log left out): what a finished chat costs once its short-lived
   * records (the 60 s cool-downs, the hour's caps) have expired.
   */
  readonly lingering: readonly { readonly afterMs: number; readonly bytes: number }[];
  readonly failures: string[];
}

const NOT_STATE = new Set(['account', 'account log']);

async function memoryPoint(f: Fixture, label: string, base: Map<string, number>, users: readonly SimUser[]) {
  const delta = memoryDelta(base, await memorySnapshot(admin), (key) => f.subject.category(key));
  const byCategory = new Map([...delta].map(([category, bytes]) => [category, bytes / users.length]));
  let state = 0;
  for (const [category, bytes] of byCategory) if (!NOT_STATE.has(category)) state += bytes;
  const first = users[0] as SimUser;
  const stateValue = await admin.strlen(f.subject.stateKey(first));
  return { label, byCategory, state, stateValue };
}

/** MEMORY_CHATS chats step by step together, Redis measured at every wait of the task and at the end. */
async function memoryRun(name: BotName, script: readonly Step[]): Promise<MemoryResult> {
  const f = await fixture(name);
  const users = makeUsers(MEMORY_CHATS);
  await f.subject.seed(users);
  const base = await memorySnapshot(admin);
  const waits: MemoryPoint[] = [];
  const steps: MemoryResult['steps'] = [];
  for (const step of script) {
    const before = f.subject.meter.roundTrips;
    const cpu = process.cpuUsage();
    await Promise.all(users.map((user) => f.driver.step(user, step)));
    const used = process.cpuUsage(cpu);
    steps.push({
      label: step.label,
      trips: (f.subject.meter.roundTrips - before) / users.length,
      cpu: (used.user + used.system) / users.length,
    });
    if (step.waits) waits.push(await memoryPoint(f, step.waits, base, users));
  }
  const finished = await memoryPoint(f, 'finished', base, users);
  const lingering = await lingeringBytes(f, base, users, [61_000, 3_601_000]);
  const failures = await check(f, users);
  await f.subject.close();
  return { bot: name, steps, waits, finished, lingering, failures };
}

/** Bytes per chat of the keys the task added or grew that will still be there `afterMs` from now. */
async function lingeringBytes(
  f: Fixture,
  base: Map<string, number>,
  users: readonly SimUser[],
  waits: readonly number[],
): Promise<MemoryResult['lingering']> {
  const now = await memorySnapshot(admin);
  const grown = [...now].filter(
    ([key, bytes]) => bytes > (base.get(key) ?? 0) && !NOT_STATE.has(f.subject.category(key)),
  );
  const ttls = await timesToLive(
    admin,
    grown.map(([key]) => key),
  );
  return waits.map((afterMs) => {
    let bytes = 0;
    for (const [key, size] of grown) {
      const ttl = ttls.get(key) ?? -2;
      if (ttl === -1 || ttl > afterMs) bytes += size - (base.get(key) ?? 0);
    }
    return { afterMs, bytes: bytes / users.length };
  });
}

const peak = (m: MemoryResult) => Math.max(...m.waits.map((w) => w.state));

/** "296 B after 61 s, 152 B after 60 min" */
const lingeringText = (m: MemoryResult) =>
  m.lingering
    .map(({ afterMs, bytes }) => {
      const after =
        afterMs < 3_600_000 ? `${Math.round(afterMs / 1000)} s` : `${Math.round(afterMs / 60_000)} min`;
      return `${int(bytes)} B after ${after}`;
    })
    .join(', ');

function printMemory(results: readonly MemoryResult[]): void {
  const header = ['bot', 'peak', 'at each wait', 'finished', 'state value at each wait'];
  const lines = results.map((m) => [
    m.bot,
    int(peak(m)),
    m.waits.map((w) => int(w.state)).join(' / '),
    int(m.finished.state),
    m.waits.map((w) => int(w.stateValue)).join(' / '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? '').length)));
  console.log(row(header, widths));
  results.forEach((m, i) => {
    console.log(row(lines[i] ?? [], widths));
    for (const failure of m.failures) console.log(`  !! ${m.bot} FAILED: ${failure}`);
  });
  for (const m of results) {
    const cats = (p: MemoryPoint) =>
      [...p.byCategory]
        .filter(([, bytes]) => Math.abs(bytes) >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([category, bytes]) => `${category} ${int(bytes)}`)
        .join(', ');
    const top = m.waits.reduce((a, b) => (b.state > a.state ? b : a));
    if (m.bot === 'lockstep') {
      console.log(`  lockstep at the peak (waiting for: ${top.label}): ${cats(top)}`);
      console.log(`  lockstep finished: ${cats(m.finished)}`);
    }
    if (m.bot !== 'floor') {
      const steps = m.steps.map((s) => `${s.label} ${fmt(s.trips, 0)}/${int(s.cpu)}`).join(', ');
      console.log(`  ${m.bot} by step (Redis round trips / Node CPU µs per chat): ${steps}`);
    }
  }
}

// ---- one chat alone -----------------------------------------------------------------------------------------

async function aloneRun(
  name: BotName,
): Promise<{ p50: number; p95: number; messages: number; failures: string[] }> {
  const f = await fixture(name);
  const first = makeUsers(1)[0] as SimUser;
  await f.subject.seed([first]);
  const chain = [
    first.phone,
    ...Array.from({ length: ALONE_SWAPS }, (_, j) => `+86137${String(j).padStart(8, '0')}`),
  ];
  const latencies: number[] = [];
  const script = swapPhoneScript();
  let last = first;
  for (let j = 0; j < ALONE_SWAPS; j += 1) {
    last = { ...first, phone: chain[j] as string, newPhone: chain[j + 1] as string };
    await f.driver.run(last, script, latencies);
  }
  const failures = await check(f, [last]);
  await f.subject.close();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    messages: latencies.length,
    failures,
  };
}

// ---- password hashing ---------------------------------------------------------------------------------------

async function hashingInProcess(): Promise<{ perSecond: number; loopP99: number; loopMax: number }> {
  const hasher = new PasswordHasher();
  await hasher.hash('Warm-up-password-1');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  await Promise.all(Array.from({ length: 50 }, (_, i) => hasher.hash(`Burst-password-${i}`)));
  const elapsed = (performance.now() - started) / 1000;
  loop.disable();
  return { perSecond: 50 / elapsed, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
}

/** bench/hash.ts as this run was started: compiled (`npm run bench`) or through tsx. */
function hashCommand(concurrency: number): [string, string[]] {
  if (import.meta.url.endsWith('.js'))
    return [process.execPath, [fileURLToPath(new URL('./hash.js', import.meta.url)), String(concurrency)]];
  return [`${process.cwd()}/node_modules/.bin/tsx`, ['bench/hash.ts', String(concurrency)]];
}

function hashingInChildren(): void {
  for (const concurrency of [1, 2, 4]) {
    const [command, args] = hashCommand(concurrency);
    const run = spawnSync(command, args, { encoding: 'utf8' });
    const r = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
    console.log(
      `  fresh process, burst of ${r.burst}, at most ${concurrency} at once: ${fmt(r.msPerHash)} ms per hash on average, ${fmt(r.perSecond)} hashes/s, RSS peak ${fmt(r.rssPeakMiB)} MiB`,
    );
  }
}

// ---- main ---------------------------------------------------------------------------------------------------

const server = await startRedisServer();
url = server.url;
admin = new Redis(url);
const wallStarted = performance.now();
let failed = false;
try {
  const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  console.log(
    `lockstep benchmark, Node ${process.version}, redis-server ${version} (private, ${url}), ${cpus().length} CPUs, ${new Date().toISOString()}`,
  );
  console.log(
    `swap-phone task (/start, /phone, choice, code, new number, code, /menu): ${int(USERS)} users, ${IN_FLIGHT} in flight, bots: ${BOTS.join(', ')}; grammY handleUpdate, stub Bot API`,
  );
  // One hash at the default cost for every seeded account: the task itself needs no password.
  passwordHash = await new PasswordHasher().hash('Bench-pass-123');

  // Warm-up (JIT, connections), not measured.
  for (const name of BOTS) await timedRun(name, swapPhoneScript(), 0, Math.min(USERS, 500), true);
  if (BOTS.includes('lockstep'))
    await timedRun('lockstep', swapPhoneScript(), 0, Math.min(USERS, 500), true, 'memory');

  const base = swapPhoneScript();
  const wrong = swapPhoneScript(WRONG);
  const variants = [
    { label: `base: ${base.length} messages per user`, script: base, idle: 0 },
    {
      label: `${WRONG} wrong codes before the right one: ${wrong.length} messages per user`,
      script: wrong,
      idle: 0,
    },
    { label: `${int(IDLE)} idle sessions alive in Redis beforehand`, script: base, idle: IDLE },
  ];
  const results: RunResult[][] = [];
  let inMemory: RunResult | undefined;
  for (const variant of variants) {
    console.log('');
    console.log(`run: ${variant.label}`);
    printRunHeader();
    const runs: RunResult[] = [];
    for (const name of BOTS) {
      const r = await timedRun(name, variant.script, variant.idle);
      printRun(r);
      failed ||= r.failures.length > 0;
      runs.push(r);
    }
    if (variant === variants[0] && BOTS.includes('lockstep')) {
      // Not a peer: lockstep with its stores in memory, what its messages cost before any Redis client work.
      inMemory = await timedRun('lockstep', variant.script, 0, USERS, false, 'memory');
      printRun(inMemory, IN_MEMORY_LABEL);
      failed ||= inMemory.failures.length > 0;
    }
    for (const r of runs) {
      if (r.bot !== 'floor') console.log(`  ${r.bot} Redis commands per message: ${r.topCommands}`);
    }
    results.push(runs);
  }

  console.log('');
  console.log(
    `Redis bytes per chat (${MEMORY_CHATS} chats moved together; MEMORY USAGE of every key the task added or changed, per chat; account records and their security log left out)`,
  );
  const memory: MemoryResult[][] = [];
  for (const [label, script] of [
    ['base', base],
    [`${WRONG} wrong codes`, wrong],
  ] as const) {
    console.log(`${label}: waits ${script.flatMap((s) => (s.waits ? [s.waits] : [])).join(' / ')}`);
    const runs: MemoryResult[] = [];
    for (const name of BOTS) runs.push(await memoryRun(name, script));
    printMemory(runs);
    for (const m of runs) failed ||= m.failures.length > 0;
    memory.push(runs);
  }

  console.log('');
  console.log(
    `one chat alone, ${ALONE_SWAPS} swaps in a row (${ALONE_SWAPS * base.length} messages), no other traffic:`,
  );
  for (const name of BOTS) {
    const r = await aloneRun(name);
    console.log(`  ${name.padEnd(14)} p50 ${fmt(r.p50, 2)} ms, p95 ${fmt(r.p95, 2)} ms`);
    for (const failure of r.failures) console.log(`  !! ${name} FAILED: ${failure}`);
    failed ||= r.failures.length > 0;
  }

  let hashing: Awaited<ReturnType<typeof hashingInProcess>> | null = null;
  if (!ONLY) {
    console.log('');
    hashing = await hashingInProcess();
    console.log(
      `password hashing (argon2id at the default cost, 19 MiB, t=2, p=1; src/accounts/password-hasher.ts, 2 at once): 50 hashes, ${fmt(hashing.perSecond)} hashes/s; event-loop delay p99 ${fmt(hashing.loopP99, 2)} ms, max ${fmt(hashing.loopMax, 2)} ms`,
    );
    hashingInChildren();
  }

  const pick = (runs: readonly RunResult[] | undefined, bot: BotName) => runs?.find((r) => r.bot === bot);
  const [baseRuns, wrongRuns] = results;
  const ls = pick(baseRuns, 'lockstep');
  const floor = pick(baseRuns, 'floor');
  const conv = pick(baseRuns, 'conversations');
  const lsWrong = pick(wrongRuns, 'lockstep');
  const lsMem = memory[0]?.find((m) => m.bot === 'lockstep');
  const lsMemWrong = memory[1]?.find((m) => m.bot === 'lockstep');
  const ratioFloor = ls && floor ? ls.perSecond / floor.perSecond : Number.NaN;
  const ratioConv = ls && conv ? ls.perSecond / conv.perSecond : Number.NaN;
  if (ls) {
    const mark = (ok: boolean) => (ok ? 'met ' : 'MISSED');
    console.log('');
    console.log('targets (issue 14, lockstep through the Telegram adapter, base run):');
    if (floor)
      console.log(`  ${mark(ratioFloor >= 0.5)} at least 0.5x the floor's msg/s: ${fmt(ratioFloor, 2)}x`);
    if (conv)
      console.log(`  ${mark(ratioConv >= 3)} at least 3x conversations' msg/s: ${fmt(ratioConv, 2)}x`);
    console.log(
      `  ${mark(ls.roundTrips <= 4)} at most 4 Redis round trips per message: ${fmt(ls.roundTrips, 2)}`,
    );
    if (lsMem)
      console.log(
        `  ${mark(peak(lsMem) <= 1024)} at most 1 KB per active chat: ${int(peak(lsMem))} B at the peak`,
      );
    if (lsMem)
      console.log(
        `  ${mark(lsMem.finished.state <= 300)} at most 300 B per finished chat (issue 8): ${int(lsMem.finished.state)} B; still held ${lingeringText(lsMem)}`,
      );
    if (lsWrong) {
      const cpu = lsWrong.cpuMicros / ls.cpuMicros - 1;
      console.log(
        `  ${mark(Math.abs(cpu) <= 0.15)} same CPU per message with wrong codes in the mix: ${int(lsWrong.cpuMicros)} vs ${int(ls.cpuMicros)} µs (${cpu >= 0 ? '+' : ''}${fmt(cpu * 100, 0)}%); RT ${fmt(lsWrong.roundTrips, 2)} vs ${fmt(ls.roundTrips, 2)}`,
      );
    }
    if (lsMem && lsMemWrong) {
      // The steps after the wrong codes must cost what they cost without them.
      const after = ['code', 'number', 'new code', '/menu'];
      const stepOf = (m: MemoryResult, label: string) => m.steps.findLast((st) => st.label === label);
      const pairs = after.map((label) => ({ label, w: stepOf(lsMemWrong, label), b: stepOf(lsMem, label) }));
      const sameTrips = pairs.every((p) => p.w && p.b && Math.abs(p.w.trips - p.b.trips) <= 0.5);
      // CPU of one step of 200 chats is noisy (a GC pause is a large share of it): compare the four together.
      const sum = (pick: (p: (typeof pairs)[number]) => number) => pairs.reduce((a, p) => a + pick(p), 0);
      const sameCpu = sum((p) => p.w?.cpu ?? Number.NaN) <= sum((p) => p.b?.cpu ?? Number.NaN) * 1.25;
      const list = (pick: (p: (typeof pairs)[number]) => string) => pairs.map(pick).join('/');
      console.log(
        `  ${mark(sameTrips && sameCpu)} same cost per step after wrong codes (${after.join(', ')}): RT ${list((p) => fmt(p.w?.trips ?? Number.NaN, 0))} vs ${list((p) => fmt(p.b?.trips ?? Number.NaN, 0))}, CPU µs ${list((p) => int(p.w?.cpu ?? Number.NaN))} vs ${list((p) => int(p.b?.cpu ?? Number.NaN))}`,
      );
      const waitOf = (m: MemoryResult, label: string) =>
        m.waits.find((w) => w.label === label)?.state ?? Number.NaN;
      const bytes = ['number', 'new code'].map((label) => ({
        label,
        w: waitOf(lsMemWrong, label),
        b: waitOf(lsMem, label),
      }));
      const sameBytes =
        bytes.every((x) => Math.abs(x.w - x.b) <= 64) &&
        Math.abs(lsMemWrong.finished.state - lsMem.finished.state) <= 64;
      console.log(
        `  ${mark(sameBytes)} same bytes per chat after wrong codes: ${bytes.map((x) => `waiting for the ${x.label} ${int(x.w)} vs ${int(x.b)} B`).join(', ')}, finished ${int(lsMemWrong.finished.state)} vs ${int(lsMem.finished.state)} B`,
      );
    }
    if (hashing)
      console.log(
        `  ${mark(hashing.loopP99 < 50)} event-loop delay p99 under 50 ms while 50 hashes run: ${fmt(hashing.loopP99, 2)} ms`,
      );
  }
  if (ls && (floor || conv)) {
    // Every bot here is bound by this process's CPU (msg/s x CPU seconds per message, printed, is about 1
    // for each), so a msg/s ratio is a CPU budget: what a target leaves lockstep per message.
    console.log('');
    console.log('what holds the speed back (Node CPU per message, base run):');
    const busy = [floor, conv, ls, inMemory]
      .filter((r): r is RunResult => r !== undefined)
      .map((r) => `${r === inMemory ? IN_MEMORY_LABEL : r.bot} ${fmt((r.perSecond * r.cpuMicros) / 1e6, 2)}`);
    console.log(
      `  each bot keeps this process's CPU busy (msg/s x CPU per message, above 1 with Node's helper threads): ${busy.join(', ')}`,
    );
    const budgets = [
      floor ? `${int(floor.cpuMicros * 2)} µs for 0.5x the floor (twice its ${int(floor.cpuMicros)} µs)` : '',
      conv
        ? `${int(conv.cpuMicros / 3)} µs for 3x conversations (a third of its ${int(conv.cpuMicros)} µs)`
        : '',
    ].filter(Boolean);
    console.log(`  the targets leave lockstep ${budgets.join(', ')}`);
    if (inMemory)
      console.log(
        `  lockstep spends ${int(ls.cpuMicros)} µs: ${int(inMemory.cpuMicros)} µs of it with every store in memory (Telegram adapter, engine, XState, flows, services; ${int(inMemory.perSecond)} msg/s), the other ${int(ls.cpuMicros - inMemory.cpuMicros)} µs talking to Redis`,
      );
    console.log('  npm run bench:profile splits it by package and function');
  }
  console.log('');
  console.log(
    `finished in ${fmt((performance.now() - wallStarted) / 1000, 0)} s${failed ? '; SOME RUNS FAILED (see !! above): the figures of those runs mean nothing' : ''}`,
  );
  console.log(`lockstep/floor: ${fmt(ratioFloor, 2)}, lockstep/conversations: ${fmt(ratioConv, 2)}`);
} finally {
  await admin.quit();
  server.stop();
  if (PROFILING) {
    mkdirSync('bench/profiles', { recursive: true });
    writeFileSync(
      `bench/profiles/windows.${process.pid}.json`,
      JSON.stringify({
        windows: timedWindows,
        messages: windowMessages.redis,
        memoryWindows,
        memoryMessages: windowMessages.memory,
      }),
    );
  }
}
if (failed) process.exitCode = 1;
