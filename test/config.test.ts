import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { runScript } from './helpers/run-process.ts';

describe('configuration', () => {
  it('reads the checkup thresholds, with the defaults of the issue, and refuses ones out of range', () => {
    const defaults = parseConfig({});
    expect(defaults.ok && defaults.config.checkup).toEqual({
      passwordMaxAgeDays: 365,
      staleSessionDays: 90,
      recentEventsDays: 30,
    });
    const set = parseConfig({
      CHECKUP_PASSWORD_MAX_AGE_DAYS: '180',
      CHECKUP_STALE_DEVICE_DAYS: '30',
      CHECKUP_RECENT_EVENTS_DAYS: '14',
    });
    expect(set.ok && set.config.checkup).toEqual({
      passwordMaxAgeDays: 180,
      staleSessionDays: 30,
      recentEventsDays: 14,
    });
    const wrong = parseConfig({ CHECKUP_PASSWORD_MAX_AGE_DAYS: '5' });
    expect(
      wrong.ok ? [] : wrong.problems.filter((p) => p.startsWith('CHECKUP_PASSWORD_MAX_AGE_DAYS')),
    ).toHaveLength(1);
  });

  it('has working defaults for the console demo', () => {
    const result = parseConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.flowIdleMs).toBe(15 * 60_000);
    expect(result.config.redisUrl).toBeUndefined();
    expect(result.config.hashing).toEqual({
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
      concurrency: 2,
    });
    expect(result.config.telegram).toBeUndefined();
  });

  it('lists every problem at once, in plain words', () => {
    const result = parseConfig({
      REDIS_URL: 'http://localhost',
      LOG_LEVEL: 'loud',
      FLOW_IDLE_MINUTES: '0',
      SECRET_KEY: 'short',
      ARGON2_MEMORY_KIB: '1024',
      TELEGRAM_BOT_TOKEN: 'nope',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const fields = result.problems.map((p) => p.split(':')[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        'REDIS_URL',
        'LOG_LEVEL',
        'FLOW_IDLE_MINUTES',
        'SECRET_KEY',
        'ARGON2_MEMORY_KIB',
        'TELEGRAM_BOT_TOKEN',
      ]),
    );
    expect(result.problems.find((p) => p.startsWith('FLOW_IDLE_MINUTES'))).toContain('at least 1');
  });

  it('requires SECRET_KEY once real state is kept', () => {
    const result = parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.stringMatching(/^SECRET_KEY: is required with REDIS_URL/)]);
  });

  it('requires a webhook secret with a Telegram webhook, and MAIL_FROM with SMTP', () => {
    const result = parseConfig({
      SECRET_KEY: 'k'.repeat(32),
      TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(30)}`,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram',
      SMTP_URL: 'smtp://mail.example.com:25',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'MAIL_FROM',
      'TELEGRAM_WEBHOOK_SECRET',
    ]);
  });

  it('stops the process with exit code 78 and lists the problems on stderr', async () => {
    const result = await runScript('src/main.ts', { env: { LOG_LEVEL: 'loud', FLOW_IDLE_MINUTES: 'soon' } });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('the configuration has 2 problem(s)');
    expect(result.stderr).toContain('LOG_LEVEL: must be one of');
    expect(result.stderr).toContain('FLOW_IDLE_MINUTES: must be a whole number');
    expect(result.stdout).toBe('');
  });
});
