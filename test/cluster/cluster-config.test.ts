/** REDIS_CLUSTER_NODES: read by the config schema into start-up nodes, bad values refused with the setting named. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';

describe('REDIS_CLUSTER_NODES', () => {
  it('reads host:port pairs (IPv6 in brackets), and is unset when empty', () => {
    const parsed = parseConfig({ REDIS_CLUSTER_NODES: ' redis-1:6379, 10.0.0.2:7001 ,[::1]:7002' });
    expect(parsed.ok && parsed.config.redisClusterNodes).toEqual([
      { host: 'redis-1', port: 6379 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    const empty = parseConfig({ REDIS_CLUSTER_NODES: '' });
    expect(empty.ok && empty.config.redisClusterNodes).toBeUndefined();
  });

  it.each(['redis-1', 'redis-1:', ':6379', 'redis-1:6379;redis-2:6379', 'redis-1:99999', 'redis://a:6379'])(
    'refuses %j, naming the setting',
    (value) => {
      const parsed = parseConfig({ REDIS_CLUSTER_NODES: value });
      expect(parsed.ok).toBe(false);
      expect(JSON.stringify(parsed)).toContain('REDIS_CLUSTER_NODES');
    },
  );
});
