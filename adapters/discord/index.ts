/**
 * The Discord adapter's entry point for the composition root.
 *
 * @example
 * // src/main.ts, with config.discord = { token, applicationId, guildId, apiRoot }
 * const discord = config.discord
 *   ? await startDiscord({ ...config.discord, engine, push, kv, prefix: config.redisPrefix, log })
 *   : null;
 * // in shutdown(), before the HTTP server and Redis close:
 * await discord?.stop();
 */
import { createDiscordBot, type DiscordBot, type DiscordBotOptions } from './bot.ts';

export { createDiscordBot, type DiscordBot, type DiscordBotOptions, looksLikePassword } from './bot.ts';
export { buildCommands } from './commands.ts';

/**
 * Builds the Discord adapter, registers it with the push router, logs in, waits until the gateway is
 * ready and registers the slash commands. On failure the client is destroyed and the error rethrown.
 */
export async function startDiscord(options: DiscordBotOptions): Promise<DiscordBot> {
  const bot = createDiscordBot(options);
  try {
    await bot.start();
  } catch (error) {
    await bot.client.destroy().catch(() => undefined);
    throw error;
  }
  options.log.info({ user: bot.client.user?.id }, 'discord: connected');
  return bot;
}
