/**
 * Issue 14, point 5: `GET /metrics`. A real bot process (`tsx src/main.ts`, long polling against the Bot API
 * stand-in, a real Redis) serves one user through a password change, a second one given up after the
 * code went out by SMS, and a third that locks the password step with five wrong passwords; the first
 * message meets a 429 from the stand-in. The test scrapes `/metrics` over HTTP as Prometheus would and
 * checks the exact counts, and that no label value is an id.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { observeRedis } from '../../src/metrics/instrument.ts';
import { boundedLabel, createMetrics, METRIC_NAMES, stepLabel } from '../../src/metrics/metrics.ts';
import { isShown, press, shows, showsMatching } from '../helpers/chat.ts';
import { freePort } from '../helpers/ports.ts';
import { seedLinkedAccount } from '../helpers/seed-account.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { type RunningScript, startScript } from '../helpers/run-process.ts';
import { FakeTelegramApi } from '../helpers/telegram-api.ts';
import { parseMetrics, readyz, type Sample, sampleValue, scrape } from './scrape.ts';

const TOKEN = '7000014:AAH_ops-metrics-token-abcdefghij';
const SECRET_KEY = 'ops-metrics-secret-key-0123456789abcdef';
const PASSWORD = 'Harbour-Lantern-93';
const NEW_PASSWORD = 'Copper-Meadow-Violet-58';
const PHONE = '+8613800138000';
const EMAIL = 'metrics@example.com';
const WRONG = ['Wrong-Guess-101', 'Wrong-Guess-202', 'Wrong-Guess-303', 'Wrong-Guess-404', 'Wrong-Guess-505'];

const redis = connectRedis();

describe('the metrics registry', () => {
  it('keeps one registry per instance, so two never share counts', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.observer.message('telegram', 12);
    a.observer.message('telegram', 30);
    b.observer.message('discord', 5);
    const text = await a.render();
    expect(text).toContain('lockstep_messages_total{channel="telegram"} 2');
    expect(text).not.toContain('discord');
    expect(await b.render()).toContain('lockstep_messages_total{channel="discord"} 1');
  });

  it('counts the errors a Redis client reports', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // Nothing listens on this port: the client reports ECONNREFUSED once, and is told not to retry.
    const client = new Redis({ host: '127.0.0.1', port: await freePort(), retryStrategy: () => null });
    observeRedis(client, metrics.observer);
    await new Promise<void>((resolve) => client.once('end', () => resolve()));
    const samples = parseMetrics(await metrics.render());
    expect(sampleValue(samples, METRIC_NAMES.redisErrors)).toBe(1);
  });

  it('never lets an id become a label value', () => {
    expect(boundedLabel('change-password')).toBe('change-password');
    expect(boundedLabel('123456789')).toBe('other');
    expect(boundedLabel('acc_1a2b3c4d5e6f')).toBe('other');
    expect(boundedLabel('task_AbCdEfGhIjKl')).toBe('other');
    expect(boundedLabel('+8613800138000')).toBe('other');
    expect(boundedLabel('x'.repeat(101))).toBe('other');
    expect(boundedLabel('a@b.example')).toBe('other');
    expect(stepLabel('{"proving":"askPassword"} > askPassword')).toBe('proving.askPassword > askPassword');
  });
});

describe('GET /metrics after real conversations', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-metrics-'));
  const outbox = join(dir, 'outbox.jsonl');
  let main: RunningScript | null = null;
  let api: FakeTelegramApi | null = null;
  afterAll(async () => {
    await main?.kill();
    await api?.close();
    await deleteByPrefix(redis, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts messages, tasks, codes, lock-outs and 429s exactly, with no id in any label', async () => {
    const stand = await FakeTelegramApi.start({ token: TOKEN, botUsername: 'lockstep_metrics_bot' });
    api = stand;
    const alice = stand.person(6014, 'Alice');
    const { accountId } = await seedLinkedAccount(redis, {
      prefix,
      secretKey: SECRET_KEY,
      telegramUserId: alice.user.id,
      phone: PHONE,
      email: EMAIL,
      password: PASSWORD,
    });

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    main = startScript('src/main.ts', {
      env: {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: stand.url,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        SECRET_KEY,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        OUTBOX_FILE: outbox,
        LOG_LEVEL: 'warn',
      },
    });
    await readyz(base);
    await stand.waitFor((call) => call.method === 'setMyCommands', 15_000);
    const before = await scrape(base);
    expect(before.status).toBe(200);
    expect(before.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // The default process metrics are there from the start.
    expect(before.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(before.samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(sampleValue(before.samples, METRIC_NAMES.messages, { channel: 'telegram' })).toBe(0);

    let messages = 0;
    const send = (text: string) => {
      messages += 1;
      return stand.userSends(alice.chat, alice.user, text);
    };

    // 1. A password change, start to end. The bot's first answer meets a 429 (retried after 1 s).
    stand.failNext('sendMessage', { status: 429, retryAfter: 1 });
    send('/password');
    let since = 0;
    await shows(stand, alice.chat, 'password.askCurrent', undefined, since, 15_000);
    since = stand.calls.length;
    send(PASSWORD);
    await shows(stand, alice.chat, 'password.askNew', undefined, since);
    since = stand.calls.length;
    send(NEW_PASSWORD);
    await shows(stand, alice.chat, 'password.askRepeat', undefined, since);
    since = stand.calls.length;
    send(NEW_PASSWORD);
    await showsMatching(stand, alice.chat, /^Done: your password was changed\./, since);

    // 2. Another one, given up after a code went to the phone by SMS.
    since = stand.calls.length;
    send('/password');
    const askCurrent = await shows(stand, alice.chat, 'password.askCurrent', undefined, since);
    since = stand.calls.length;
    messages += 1;
    press(stand, alice, askCurrent, 'forgot');
    const pick = await shows(stand, alice.chat, 'password.pickDestination', undefined, since);
    since = stand.calls.length;
    messages += 1;
    press(stand, alice, pick, 'phone');
    await stand.waitFor((call) => isShown(call, alice.chat, since));
    expect(codesBySms(outbox, PHONE)).toHaveLength(1);
    since = stand.calls.length;
    send('/cancel');
    await shows(stand, alice.chat, 'common.cancelled', undefined, since);

    // 3. A third, where five wrong passwords lock the password step; then given up too.
    since = stand.calls.length;
    send('/password');
    await shows(stand, alice.chat, 'password.askCurrent', undefined, since);
    for (const [i, wrong] of WRONG.entries()) {
      since = stand.calls.length;
      send(wrong);
      if (i < WRONG.length - 1) {
        await shows(stand, alice.chat, 'prove.wrongPassword', { remaining: WRONG.length - 1 - i }, since);
      } else {
        await shows(stand, alice.chat, 'prove.lockedPickDestination', { minutes: 15 }, since);
      }
    }
    since = stand.calls.length;
    send('/cancel');
    await shows(stand, alice.chat, 'common.cancelled', undefined, since);

    const { samples, text } = await scrape(base);
    const telegram = { channel: 'telegram' };
    expect(sampleValue(samples, METRIC_NAMES.messages, telegram)).toBe(messages);
    expect(messages).toBe(15);
    expect(sampleValue(samples, `${METRIC_NAMES.messageDuration}_count`, telegram)).toBe(messages);
    // Every message took less than the largest bucket, so the +Inf bucket holds them all.
    expect(sampleValue(samples, `${METRIC_NAMES.messageDuration}_bucket`, { ...telegram, le: '+Inf' })).toBe(
      messages,
    );
    expect(sampleValue(samples, `${METRIC_NAMES.messageDuration}_sum`, telegram)).toBeGreaterThan(0);

    const flow = { flow: 'change-password' };
    expect(sampleValue(samples, METRIC_NAMES.tasksStarted, flow)).toBe(3);
    expect(sampleValue(samples, METRIC_NAMES.tasksCompleted, flow)).toBe(1);
    const abandoned = samples.filter((s) => s.name === METRIC_NAMES.tasksAbandoned);
    expect(abandoned.reduce((sum, s) => sum + s.value, 0)).toBe(2);
    expect(
      abandoned.every((s) => s.labels.flow === 'change-password' && s.labels.reason === 'cancelled'),
    ).toBe(true);
    // Each was given up at the step it was in: the code prompt; the destination choice after the lock.
    const cancelled = { ...flow, reason: 'cancelled' };
    expect(
      sampleValue(samples, METRIC_NAMES.tasksAbandoned, { ...cancelled, step: 'proving > askCode' }),
    ).toBe(1);
    expect(
      sampleValue(samples, METRIC_NAMES.tasksAbandoned, { ...cancelled, step: 'proving > pickDestination' }),
    ).toBe(1);

    expect(sampleValue(samples, METRIC_NAMES.codesSent, { channel: 'sms' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.codesSent, { channel: 'email' })).toBe(0);
    expect(sampleValue(samples, METRIC_NAMES.lockouts, { what: 'password' })).toBe(1);
    expect(
      sampleValue(samples, METRIC_NAMES.apiRateLimited, { platform: 'telegram', method: 'sendMessage' }),
    ).toBe(1);
    expect(
      sampleValue(samples, METRIC_NAMES.apiErrors, { platform: 'telegram', method: 'sendMessage' }),
    ).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.redisErrors)).toBe(0);
    expect(sampleValue(samples, METRIC_NAMES.escalations, { event: 'opened' })).toBe(0);

    // No label value is an id: not the user's, the chat's, the account's, the phone or the email.
    const values = labelValues(samples);
    // The text without the sample values: a measured number (memory, CPU seconds) may hold the digits of an
    // id by chance (seen: "6014" inside a value), which says nothing about a label.
    const named = text
      .split('\n')
      .map((line) => (line.startsWith('#') ? line : line.replace(/\s+\S+$/, '')))
      .join('\n');
    expect(named).toContain(`${METRIC_NAMES.messages}{channel="telegram"}`);
    for (const id of [String(alice.user.id), String(alice.chat.id), accountId, PHONE, EMAIL]) {
      expect(values.filter((value) => value.includes(id))).toEqual([]);
      expect(named).not.toContain(id);
    }
    expect(values.filter((value) => /\d{5,}/.test(value))).toEqual([]);
    expect(text).not.toContain(NEW_PASSWORD);
  });
});

/** Every label value of every sample. */
function labelValues(samples: readonly Sample[]): string[] {
  return [...new Set(samples.flatMap((sample) => Object.values(sample.labels)))];
}

/** The SMS to `to` in the outbox file that carry a code (not the notices). */
function codesBySms(outbox: string, to: string): string[] {
  let text = '';
  try {
    text = readFileSync(outbox, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { channel: string; to: string; text: string })
    .filter((line) => line.channel === 'sms' && line.to === to)
    .map((line) => line.text)
    .filter((text) => /\b\d{6}\b/.test(text));
}
