/**
 * The Discord adapter's share of the metrics: every REST answer is reported by HTTP verb (never by route,
 * which holds ids), a 429 as rate-limited. Real discord.js against the Discord stand-in.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics, METRIC_NAMES } from '../../src/metrics/metrics.ts';
import { createWorld, type World } from '../helpers/discord-harness.ts';
import { connectRedis } from '../helpers/redis.ts';
import { parseMetrics, sampleValue } from './scrape.ts';

const redis = connectRedis();

describe('Discord REST calls in the metrics', { timeout: 60_000 }, () => {
  let world: World | null = null;
  afterAll(async () => {
    await world?.close();
  });

  it('counts a 429 from Discord as rate-limited, by verb, and the retried call as no error', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    world = await createWorld(redis, { noStart: true, bot: { observer: metrics.observer } });
    world.discord.failNext('PUT /applications/:app/commands', { status: 429, retryAfter: 0.3 });
    await world.bot.start();
    const samples = parseMetrics(await metrics.render());
    const put = { platform: 'discord', method: 'PUT' };
    expect(sampleValue(samples, METRIC_NAMES.apiRateLimited, put)).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.apiErrors, put)).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.apiErrors, { platform: 'discord', method: 'GET' })).toBe(0);
    // Labels name a platform and a verb only: no route, so no application, guild or channel id.
    const values = samples.flatMap((sample) => Object.values(sample.labels));
    expect(values.filter((value) => /\d{5,}/.test(value))).toEqual([]);
  });
});
