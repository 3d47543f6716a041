/**
 * The slash commands, built from the engine's flows and global commands, so a new flow needs no change
 * here; and the way back, from an invoked command to the engine's command.
 *
 * Global commands carry `contexts` (servers and the bot's DM) and `integration_types` (server install and
 * user install: every command answers through the interaction, which works wherever it is invoked), never
 * the deprecated `dm_permission`. Discord reads both only on global commands, so commands registered in
 * one server (`DISCORD_GUILD_ID`, for fast iteration) go without them.
 */
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { availableLocales, type Locale, type MessageKey, t } from '../../src/catalog/catalog.ts';
import type { FlowDefinition } from '../../src/core/flow.ts';
import { GLOBAL_COMMANDS } from '../../src/engine/turn-rules.ts';
import type { Logger } from '../../src/log.ts';

/** The option of `/recover`: the support agent's one-time code. */
export const RECOVER_OPTION = 'code';

// https://discord.com/developers/docs/interactions/application-commands#application-command-object
const COMMAND_NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;
const DESCRIPTION_MAX = 100;

/** Discord's locale codes for each language lockstep speaks besides English (Spanish has two). */
const DISCORD_LOCALES: Record<Exclude<Locale, 'en'>, readonly string[]> = {
  'zh-CN': ['zh-CN'],
  es: ['es-ES', 'es-419'],
  ru: ['ru'],
};

/**
 * A description in English and, per Discord locale, in every other language lockstep speaks. Command
 * names are the same in every language (catalog texts say "send /menu"), so only descriptions vary.
 */
function described(key: MessageKey): {
  description: string;
  description_localizations: Record<string, string>;
} {
  const localizations: Record<string, string> = {};
  for (const locale of availableLocales()) {
    if (locale === 'en') continue;
    for (const code of DISCORD_LOCALES[locale])
      localizations[code] = t(locale, key).slice(0, DESCRIPTION_MAX);
  }
  return { description: t('en', key).slice(0, DESCRIPTION_MAX), description_localizations: localizations };
}

/** Commands that are not a flow's own: a Discord name for an engine command. */
interface FixedCommand {
  readonly name: string;
  readonly engineCommand: string;
  readonly description: MessageKey;
}

const FIXED: readonly FixedCommand[] = [
  { name: 'security', engineCommand: 'menu', description: 'discord.cmd.security' },
  // Catalog texts say "send /menu": it exists here too.
  { name: 'menu', engineCommand: 'menu', description: 'discord.cmd.menu' },
  { name: 'help', engineCommand: 'help', description: 'discord.cmd.help' },
  { name: 'cancel', engineCommand: 'cancel', description: 'discord.cmd.cancel' },
  // The support handoff: the code a support agent gave, as the engine's `/start <code>` deep link.
  { name: 'recover', engineCommand: 'start', description: 'discord.cmd.recover' },
];

const GLOBAL_DESCRIPTIONS: Readonly<Record<string, MessageKey>> = {
  support: 'discord.cmd.support',
  start: 'discord.cmd.start',
};

/** Discord's own deep link is `/recover`; a bare `/start` would only repeat `/security`. */
const NOT_PUBLISHED: ReadonlySet<string> = new Set(['start']);

export interface CommandTable {
  /** The registration body. */
  readonly body: RESTPutAPIApplicationCommandsJSONBody;
  /** Discord command name -> the engine's command. */
  readonly toEngine: ReadonlyMap<string, string>;
}

/** The commands to register, for all servers and DMs (`global`) or one server (`guild`). */
export function buildCommands(
  flows: readonly FlowDefinition[],
  scope: 'global' | 'guild',
  log?: Logger,
): CommandTable {
  const where =
    scope === 'global'
      ? {
          contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
          integration_types: [
            ApplicationIntegrationType.GuildInstall,
            ApplicationIntegrationType.UserInstall,
          ],
        }
      : {};
  const body: RESTPutAPIApplicationCommandsJSONBody = [];
  const toEngine = new Map<string, string>();
  const add = (name: string, engineCommand: string, description: MessageKey, withCode = false): void => {
    if (toEngine.has(name)) return;
    if (!COMMAND_NAME.test(name)) {
      log?.warn({ command: name }, 'not a valid Discord command name; not registered');
      return;
    }
    toEngine.set(name, engineCommand);
    body.push({
      type: ApplicationCommandType.ChatInput,
      name,
      ...described(description),
      ...where,
      ...(withCode
        ? {
            options: [
              {
                type: ApplicationCommandOptionType.String,
                name: RECOVER_OPTION,
                ...described('discord.cmd.recoverCode'),
                required: true,
                min_length: 1,
                max_length: 64,
              },
            ],
          }
        : {}),
    });
  };
  for (const fixed of FIXED) {
    add(fixed.name, fixed.engineCommand, fixed.description, fixed.engineCommand === 'start');
  }
  for (const command of GLOBAL_COMMANDS) {
    if (NOT_PUBLISHED.has(command)) continue;
    add(command, command, GLOBAL_DESCRIPTIONS[command] ?? 'discord.cmd.task');
  }
  for (const flow of flows) {
    const name = flow.command.toLowerCase();
    add(name, name, flow.menuLabel ?? flow.title);
  }
  return { body, toEngine };
}
