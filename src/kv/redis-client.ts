/**
 * The process's one Redis client: a single server (REDIS_URL; a Sentinel set-up is a `redis://` URL to a
 * server the Sentinels manage, or ioredis' `sentinels` option) or a Redis Cluster (REDIS_CLUSTER_NODES).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './redis-kv.ts';

export interface RedisClientSettings {
  /** A single server; with `clusterNodes`, only its credentials, database-less, and TLS (`rediss:`) are used. */
  readonly url?: string | undefined;
  /** Start-up nodes of a cluster: ioredis learns the rest of the cluster from them. */
  readonly clusterNodes?: readonly { readonly host: string; readonly port: number }[] | undefined;
  /** Connection behaviour (timeouts, retries) for the server or for each cluster node. */
  readonly options?: RedisOptions;
}

/** The options a `redis://user:pass@host` URL carries besides its address (for the cluster's nodes). */
function credentialsOf(url: string | undefined): RedisOptions {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Connects (in the background: the client queues commands until it is ready) to the configured Redis.
 * Null when neither a URL nor cluster nodes are set (the in-memory store is used then).
 *
 * @example
 * const redis = createRedisClient({ url: config.redisUrl, clusterNodes: config.redisClusterNodes });
 */
export function createRedisClient(settings: RedisClientSettings): RedisClient | null {
  // Commands sent in the same tick (many chats at once) leave in one socket write instead of one each:
  // the per-command write was a fifth of the CPU under load. Each command keeps its own reply and error.
  const options: RedisOptions = { enableAutoPipelining: true, ...settings.options };
  if (settings.clusterNodes && settings.clusterNodes.length > 0) {
    return new Cluster(
      settings.clusterNodes.map((node) => ({ host: node.host, port: node.port })),
      {
        redisOptions: { ...options, ...credentialsOf(settings.url) },
        // Retry the whole cluster connection like a single server's (ioredis' default gives up after a while).
        clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        enableAutoPipelining: options.enableAutoPipelining ?? true,
        // A moved slot is followed at once; a failing-over master is asked again a few times.
        maxRedirections: 16,
      },
    );
  }
  if (settings.url) return new Redis(settings.url, options);
  return null;
}
