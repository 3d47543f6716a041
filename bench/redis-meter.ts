/**
 * Measuring Redis from both ends: round trips as the client sends them (a counting wrapper of an ioredis
 * client), commands as the server executed them (`INFO commandstats`, commands inside Lua scripts
 * included), server CPU (`INFO cpu`) and memory (`MEMORY USAGE` of every key).
 */
import type { Redis } from 'ioredis';

/**
 * True for a pipeline ioredis made itself (`enableAutoPipelining`): it is marked with `Symbol("exec")` as
 * soon as it is made; a pipeline the code builds has no such mark.
 */
function isAutoPipeline(pipeline: object): boolean {
  return Object.getOwnPropertySymbols(pipeline).some((symbol) => symbol.description === 'exec');
}

/**
 * Counts what one ioredis client sends: a command on its own is a round trip, a pipeline (or MULTI) the code
 * builds is one. ioredis' auto-pipelining batches the commands of many chats into one socket write; each of
 * those still waits for its own answer, so each is still counted as a round trip of the chat that sent it,
 * except that, with `waiter` (who is waiting: lockstep's turn), the commands one turn sent side by side into
 * the same batch count as one.
 */
export class RoundTripMeter {
  roundTrips = 0;
  commands = 0;
  /** When set (`bench:trace`), each command as `<round trip> <name> <first key>`, in the order sent. */
  trail: string[] | null = null;

  /** Wraps `redis.sendCommand` (every command passes through it) and `redis.pipeline` (to tell the kinds apart). */
  static attach(redis: Redis, options: { waiter?: () => object | undefined } = {}): RoundTripMeter {
    const meter = new RoundTripMeter();
    const { waiter } = options;
    // Marks kept on ioredis' own command and pipeline objects (plain symbol-keyed properties: a WeakMap or
    // WeakSet entry per command costs the collector more than the measured bot's own work would show).
    /** On a pipeline the code built: already counted. */
    const COUNTED = Symbol('counted');
    /** On a command queued in an auto-pipeline. */
    const AUTO = Symbol('auto');
    /** With `waiter`: on a command, who queued it; on a batch, who already waits on it. */
    const BY = Symbol('queuedBy');
    const WAITING = Symbol('waiting');
    type Marked = { [COUNTED]?: true; [AUTO]?: true; [BY]?: object; [WAITING]?: Set<object> };
    const client = redis as unknown as {
      sendCommand: (...args: unknown[]) => unknown;
      pipeline: (...args: unknown[]) => {
        exec: (...args: unknown[]) => unknown;
        sendCommand: (command: object, ...rest: unknown[]) => unknown;
        _queue?: object[];
      };
    };
    const makePipeline = client.pipeline.bind(redis);
    client.pipeline = (...args: unknown[]) => {
      const pipeline = makePipeline(...args);
      if (waiter) {
        const queue = pipeline.sendCommand.bind(pipeline);
        // Marked as soon as ioredis made it, before anything is queued: looked at once.
        let auto: boolean | undefined;
        // Queued synchronously in the sender's own async context (exec runs later, in another one).
        pipeline.sendCommand = (command: object, ...rest: unknown[]) => {
          auto ??= isAutoPipeline(pipeline);
          if (auto) {
            const who = waiter();
            if (who !== undefined) (command as Marked)[BY] = who;
          }
          return queue(command, ...rest);
        };
      }
      const exec = pipeline.exec.bind(pipeline);
      pipeline.exec = (...execArgs: unknown[]) => {
        if (isAutoPipeline(pipeline))
          for (const command of pipeline._queue ?? []) (command as Marked)[AUTO] = true;
        return exec(...execArgs);
      };
      return pipeline;
    };
    const send = client.sendCommand.bind(redis);
    client.sendCommand = (command: unknown, stream?: unknown, node?: unknown) => {
      meter.commands += 1;
      const batch = stream as ({ isPipeline?: boolean } & Marked) | undefined;
      const sent = command as Marked;
      const who = sent[BY];
      if (batch?.isPipeline && !sent[AUTO]) {
        if (!batch[COUNTED]) {
          batch[COUNTED] = true;
          meter.roundTrips += 1;
        }
      } else if (batch && who !== undefined) {
        const waiting = batch[WAITING] ?? new Set<object>();
        batch[WAITING] = waiting;
        if (!waiting.has(who)) {
          waiting.add(who);
          meter.roundTrips += 1;
        }
      } else {
        meter.roundTrips += 1;
      }
      if (meter.trail) {
        const named = command as { name?: string; args?: unknown[] };
        meter.trail.push(`${meter.roundTrips} ${named.name} ${String(named.args?.[0] ?? '')}`);
      }
      return send(command, stream, node);
    };
    return meter;
  }

  reset(): void {
    this.roundTrips = 0;
    this.commands = 0;
  }
}

/** Server-side state read through an admin client that no bot uses. */
export interface ServerStats {
  /** Calls by command name (`evalsha`, `get`, `set`...), as `INFO commandstats` counts them. */
  readonly calls: Map<string, number>;
  /** used_cpu_user + used_cpu_sys, in microseconds. */
  readonly cpuMicros: number;
}

/** Commands the measurement itself sends; never counted as the bot's. */
const OURS = new Set(['info', 'ping', 'memory', 'scan', 'dbsize', 'flushdb', 'config', 'client', 'hello']);

export async function serverStats(admin: Redis): Promise<ServerStats> {
  const text = await admin.info('all');
  const calls = new Map<string, number>();
  let cpu = 0;
  for (const line of text.split('\r\n')) {
    const stat = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (stat) {
      calls.set(stat[1] as string, Number(stat[2]));
      continue;
    }
    const used = /^used_cpu_(user|sys):([\d.]+)$/.exec(line);
    if (used) cpu += Number(used[2]) * 1e6;
  }
  return { calls, cpuMicros: cpu };
}

/** The commands executed between two readings, without the measurement's own. */
export function commandDelta(before: ServerStats, after: ServerStats): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, calls] of after.calls) {
    if (OURS.has(name.split('|')[0] as string)) continue;
    const n = calls - (before.calls.get(name) ?? 0);
    if (n > 0) delta.set(name, n);
  }
  return delta;
}

/** `MEMORY USAGE` (exact: SAMPLES 0) of every key in the database. */
export async function memorySnapshot(admin: Redis): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = admin.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const results = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [error, bytes] = results[i] ?? [null, null];
      if (!error && typeof bytes === 'number') sizes.set(key, bytes);
    });
  } while (cursor !== '0');
  return sizes;
}

/** The remaining time to live of every key in `keys`, in ms (-1: none, -2: gone). */
export async function timesToLive(admin: Redis, keys: readonly string[]): Promise<Map<string, number>> {
  const ttls = new Map<string, number>();
  for (let start = 0; start < keys.length; start += 1000) {
    const slice = keys.slice(start, start + 1000);
    const pipeline = admin.pipeline();
    for (const key of slice) pipeline.pttl(key);
    const results = (await pipeline.exec()) ?? [];
    slice.forEach((key, i) => {
      const [error, ttl] = results[i] ?? [null, null];
      if (!error && typeof ttl === 'number') ttls.set(key, ttl);
    });
  }
  return ttls;
}

/** What changed between two snapshots, summed by the category `categorize` gives each key. */
export function memoryDelta(
  before: Map<string, number>,
  after: Map<string, number>,
  categorize: (key: string) => string,
): Map<string, number> {
  const delta = new Map<string, number>();
  const add = (key: string, bytes: number) => {
    if (bytes === 0) return;
    const category = categorize(key);
    delta.set(category, (delta.get(category) ?? 0) + bytes);
  };
  for (const [key, bytes] of after) add(key, bytes - (before.get(key) ?? 0));
  for (const [key, bytes] of before) if (!after.has(key)) add(key, -bytes);
  return delta;
}

/**
 * Copies every key whose name holds `templateId` once per id in `ids` (the id replaced in the name), with
 * the same value and time to live: sessions that exist and are never touched again.
 */
export async function cloneKeys(admin: Redis, templateId: string, ids: readonly string[]): Promise<number> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', `*${templateId}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  const templates: { key: string; dump: Buffer; ttl: number }[] = [];
  for (const key of keys) {
    const dump = await admin.dumpBuffer(key);
    if (!dump) continue;
    templates.push({ key, dump, ttl: Math.max(0, await admin.pttl(key)) });
  }
  for (let start = 0; start < ids.length; start += 500) {
    const pipeline = admin.pipeline();
    for (const id of ids.slice(start, start + 500)) {
      for (const t of templates) pipeline.restore(t.key.replace(templateId, id), t.ttl, t.dump, 'REPLACE');
    }
    await pipeline.exec();
  }
  return templates.length;
}
