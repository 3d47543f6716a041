/**
 * The project's own stand-in of Discord for tests: the REST API (v10) over real HTTP and the gateway over a
 * real WebSocket, both on 127.0.0.1, speaking the wire protocol a bot sees.
 *
 * REST: `GET /gateway/bot` (the WebSocket URL), command registration, interaction callbacks at
 * `POST /interactions/:id/:token/callback` (answer within 3 s, once; a form never answers a form), follow-ups
 * and `@original` edits on the webhook routes (the token lives 15 minutes), channel messages, DM channel
 * creation, message deletion (a bot cannot delete a user's message in a DM; in a server only with Manage
 * Messages), typing. JSON or multipart bodies (`payload_json` + `files[n]`); errors as
 * `{ code, message }` with Discord's codes; a 204 carries no content type; 429 answers with `Retry-After` and
 * the rate-limit headers when a test asks for one.
 *
 * Gateway: HELLO, heartbeat -> ACK, IDENTIFY -> READY (with `resume_gateway_url`) and a GUILD_CREATE per
 * server, dispatches with sequence numbers filtered by the identified intents (server messages need
 * GUILD_MESSAGES, DMs DIRECT_MESSAGES; content is blank without MESSAGE_CONTENT unless the bot is mentioned or
 * it is a DM), RESUME -> the missed dispatches, then RESUMED; a close with 1000/1001 ends the session.
 *
 * Tests play the users: `slash`, `press`, `submit` (a form), `say` (a message); every REST call, callback,
 * message and gateway frame is recorded for assertions.
 *
 * What it does not do: voice, sharding beyond one shard, zlib transport compression, rate-limit buckets of
 * its own (only forced 429s), permissions beyond Manage Messages, attachments' CDN URLs, message history.
 *
 * @example
 * const discord = await FakeDiscord.start();
 * const guild = discord.guild('Test server');
 * const alice = discord.person('Alice');
 * const client = new Client({ intents, rest: { api: discord.apiRoot } });
 * await client.login(discord.token);
 * discord.slash(alice, guild, 'help');
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents). */
export const INTENTS = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

/** Message flags. */
export const FLAGS = { Ephemeral: 1 << 6, Loading: 1 << 7 } as const;

/** Interaction callback types. */
export const CALLBACK = {
  ChannelMessage: 4,
  DeferredChannelMessage: 5,
  DeferredUpdate: 6,
  UpdateMessage: 7,
  Modal: 9,
} as const;

const INTERACTION_TYPE = { Command: 2, Component: 3, ModalSubmit: 5 } as const;
const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A snowflake for `at`: ids carry their creation time, as Discord's do (discord.js reads it back). */
export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

type Json = Record<string, unknown>;

export interface DiscordUser {
  readonly id: string;
  readonly username: string;
  readonly global_name: string | null;
  readonly discriminator: '0';
  readonly avatar: null;
  readonly bot?: boolean;
}

/** A user the tests play, with their DM channel with the bot. */
export interface Person {
  readonly user: DiscordUser;
  readonly dmChannelId: string;
  /** The user accepts DMs from the bot. */
  dmsOpen: boolean;
  locale: string;
}

/** A server with one text channel. */
export interface Guild {
  readonly id: string;
  readonly name: string;
  readonly channelId: string;
  /** The bot's role has Manage Messages. */
  manageMessages: boolean;
}

/** Where a user acts: a server's channel, or their DM with the bot. */
export type Where = Guild | 'dm';

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly data: Buffer;
}

/** One REST request the bot made, and our answer. */
export interface RestCall {
  readonly index: number;
  readonly method: string;
  /** Path after `/api/v10`, e.g. `/channels/1/messages`. */
  readonly path: string;
  /** The route pattern, e.g. `POST /channels/:channel/messages`. */
  readonly route: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly body: unknown;
  readonly files: readonly UploadedFile[];
  readonly status: number;
  /** The content type of our answer (none on a 204). */
  readonly contentType: string | undefined;
  readonly response: unknown;
  readonly at: number;
}

/** A message as Discord keeps it. */
export interface StoredMessage {
  readonly index: number;
  readonly id: string;
  readonly channelId: string;
  readonly guildId: string | null;
  readonly authorId: string;
  content: string;
  components: Json[];
  flags: number;
  attachments: {
    readonly id: string;
    readonly filename: string;
    readonly data: Buffer;
    readonly description?: string;
  }[];
  /** Ephemeral: only this user sees it. */
  readonly visibleTo: string | null;
  /** How it was made: an interaction callback, a follow-up, a channel message of the bot, a user's message. */
  readonly via: 'callback' | 'followup' | 'channel' | 'user';
  readonly interactionId: string | null;
  deleted: boolean;
  edits: number;
  readonly createdAt: number;
}

/** The first answer to an interaction. */
export interface Callback {
  readonly type: number;
  readonly data: Json;
  readonly at: number;
  /** Milliseconds after the interaction was created. */
  readonly afterMs: number;
}

export interface FakeInteraction {
  readonly id: string;
  readonly token: string;
  readonly type: number;
  readonly user: DiscordUser;
  readonly where: Where;
  readonly channelId: string;
  readonly createdAt: number;
  /** The message a component or form belongs to. */
  readonly sourceMessageId: string | null;
  /** The `data` of the interaction (command, custom id, submitted values). */
  readonly data: Json;
  callback: Callback | null;
  /** The message `@original` stands for. */
  originalMessageId: string | null;
  /** Callbacks refused (late, twice, invalid). */
  readonly refused: { readonly status: number; readonly code: number; readonly at: number }[];
}

/** A frame on the gateway, as seen by the stand-in. */
export interface GatewayFrame {
  readonly connection: number;
  readonly direction: 'in' | 'out';
  readonly op: number;
  readonly t?: string;
  readonly s?: number;
  readonly d: unknown;
  readonly at: number;
}

export interface GatewayConnection {
  readonly index: number;
  /** The request path the client connected to (`/` or the resume URL's `/resume`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  closeCode: number | null;
  /** Who closed: the client, or the stand-in (`disconnect`). */
  closedBy: 'client' | 'server' | null;
}

/** A forced failure of the next matching request. */
export type Failure =
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly status: 500 }
  | { readonly status: number; readonly code: number; readonly message: string };

interface Session {
  readonly id: string;
  readonly intents: number;
  seq: number;
  readonly log: { s: number; t: string; d: unknown }[];
  socket: WebSocket | null;
  connection: number;
}

interface RegisteredCommand extends Json {
  readonly id: string;
  readonly name: string;
  readonly contexts?: number[] | null;
  readonly guild_id?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const LIMITS = {
  content: 2000,
  rows: 5,
  perRow: 5,
  customId: 100,
  buttonLabel: 80,
  modalTitle: 45,
  label: 45,
};

export interface FakeDiscordOptions {
  readonly token?: string;
  readonly applicationId?: string;
  /** Heartbeat interval in HELLO. Default 1 s, so tests see heartbeats and ACKs quickly. */
  readonly heartbeatMs?: number;
  /** How long an interaction may wait for its first answer. Default 3 s (Discord's). */
  readonly answerWithinMs?: number;
  /** How long an interaction token takes follow-ups and edits. Default 15 minutes (Discord's). */
  readonly tokenLifetimeMs?: number;
}

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly bot: DiscordUser;
  readonly calls: RestCall[] = [];
  readonly frames: GatewayFrame[] = [];
  readonly connections: GatewayConnection[] = [];
  readonly messages: StoredMessage[] = [];
  readonly interactions = new Map<string, FakeInteraction>();
  readonly identifies: Json[] = [];
  readonly resumes: Json[] = [];
  readonly heartbeats: { readonly at: number; readonly acked: boolean }[] = [];
  readonly globalCommands: RegisteredCommand[] = [];
  readonly guildCommands = new Map<string, RegisteredCommand[]>();
  readonly guilds: Guild[] = [];
  readonly people = new Map<string, Person>();
  private readonly byToken = new Map<string, FakeInteraction>();
  private readonly failures: { route: string; failure: Failure }[] = [];
  private readonly changes = new EventEmitter();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private session: Session | null = null;
  private readonly sessions = new Map<string, Session>();
  private readonly options: Required<Omit<FakeDiscordOptions, 'token' | 'applicationId'>>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeDiscordOptions,
  ) {
    this.token = options.token ?? 'MTAwMDAwMDAwMDAwMDAwMDAw.stand-in.discord-test-token';
    this.applicationId = options.applicationId ?? snowflake();
    this.bot = {
      id: this.applicationId,
      username: 'lockstep',
      global_name: null,
      discriminator: '0',
      avatar: null,
      bot: true,
    };
    this.options = {
      heartbeatMs: options.heartbeatMs ?? 1_000,
      answerWithinMs: options.answerWithinMs ?? 3_000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 15 * 60_000,
    };
    this.changes.setMaxListeners(0);
  }

  /** Starts the stand-in on a free loopback port. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    let self: FakeDiscord | null = null;
    const server = createServer((request, response) => {
      void self?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FakeDiscord(server, `http://127.0.0.1:${port}`, options);
    const ready = self;
    server.on('upgrade', (request, socket, head) => {
      ready.wss.handleUpgrade(request, socket, head, (ws) => ready.onConnection(ws, request));
    });
    return self;
  }

  /** What a bot passes as `rest.api` (discord.js adds `/v10`). */
  get apiRoot(): string {
    return `${this.url}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${new URL(this.url).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the world -----------------------------------------------------------------------------------

  /** A server with one text channel; create it before the bot connects (it arrives in GUILD_CREATE). */
  guild(name: string, options: { readonly manageMessages?: boolean } = {}): Guild {
    const guild: Guild = {
      id: snowflake(),
      name,
      channelId: snowflake(),
      manageMessages: options.manageMessages ?? true,
    };
    this.guilds.push(guild);
    return guild;
  }

  person(name: string, options: { readonly dmsOpen?: boolean; readonly locale?: string } = {}): Person {
    const user: DiscordUser = {
      id: snowflake(),
      username: name.toLowerCase(),
      global_name: name,
      discriminator: '0',
      avatar: null,
    };
    const person: Person = {
      user,
      dmChannelId: snowflake(),
      dmsOpen: options.dmsOpen ?? true,
      locale: options.locale ?? 'en-US',
    };
    this.people.set(user.id, person);
    return person;
  }

  /** The next request matching `route` (e.g. `POST /webhooks/:app/:token`) fails like this. */
  failNext(route: string, failure: Failure): void {
    this.failures.push({ route, failure });
  }

  // ---- the users ---------------------------------------------------------------------------------

  /** The user runs a slash command (it must be registered where they are). */
  slash(
    person: Person,
    where: Where,
    name: string,
    options: Readonly<Record<string, string>> = {},
  ): FakeInteraction {
    const command = this.commandFor(name, where);
    if (!command) throw new Error(`/${name} is not registered for ${where === 'dm' ? 'DMs' : where.name}`);
    const data: Json = {
      id: command.id,
      name,
      type: 1,
      ...(Object.keys(options).length > 0
        ? { options: Object.entries(options).map(([key, value]) => ({ name: key, type: 3, value })) }
        : {}),
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
    };
    return this.interact(person, where, INTERACTION_TYPE.Command, data, null);
  }

  /** The user presses the button `customId` under `message` (which they must be able to see, unless `force`). */
  press(
    person: Person,
    message: StoredMessage,
    customId: string,
    options: { readonly force?: boolean; readonly where?: Where } = {},
  ): FakeInteraction {
    if (!options.force) {
      if (message.deleted) throw new Error('the message was deleted');
      if (message.visibleTo !== null && message.visibleTo !== person.user.id)
        throw new Error('not visible to that user');
      if (!buttonsOf(message).some((button) => button.custom_id === customId)) {
        throw new Error(`no button ${customId} under the message`);
      }
    }
    return this.interact(
      person,
      options.where ?? this.whereOf(message),
      INTERACTION_TYPE.Component,
      { custom_id: customId, component_type: 2 },
      message,
    );
  }

  /**
   * The user fills in the form `opened` showed (its callback was a modal) and submits it: `values` go into
   * its text inputs in order.
   */
  submit(person: Person, opened: FakeInteraction, values: readonly string[]): FakeInteraction {
    const modal = opened.callback;
    if (modal?.type !== CALLBACK.Modal) throw new Error('that interaction did not open a form');
    const inputs = textInputsOf(modal.data);
    if (values.length !== inputs.length) throw new Error(`the form has ${inputs.length} fields`);
    let id = 0;
    const components = inputs.map((input, index) => {
      id += 2;
      return {
        type: 18,
        id: id - 1,
        component: { type: 4, id, custom_id: input.custom_id, value: values[index] ?? '' },
      };
    });
    const source = opened.sourceMessageId ? this.message(opened.sourceMessageId) : null;
    return this.interact(
      person,
      opened.where,
      INTERACTION_TYPE.ModalSubmit,
      { custom_id: modal.data.custom_id, components },
      source,
    );
  }

  /** The user types a message (`mention` puts `@bot` in front, as a mention). */
  say(
    person: Person,
    where: Where,
    content: string,
    options: { readonly mention?: boolean } = {},
  ): StoredMessage {
    const guild = where === 'dm' ? null : where;
    const text = options.mention ? `<@${this.bot.id}> ${content}` : content;
    const message = this.store({
      id: snowflake(),
      channelId: guild ? guild.channelId : person.dmChannelId,
      guildId: guild?.id ?? null,
      authorId: person.user.id,
      content: text,
      components: [],
      flags: 0,
      attachments: [],
      visibleTo: null,
      via: 'user',
      interactionId: null,
    });
    const payload = this.apiMessage(message);
    const intents = this.session?.intents ?? 0;
    const readable = guild === null || (intents & INTENTS.MessageContent) !== 0 || options.mention === true;
    this.dispatch(
      'MESSAGE_CREATE',
      {
        ...payload,
        content: readable ? text : '',
        channel_type: guild ? 0 : 1,
        mentions: options.mention ? [this.bot] : [],
        ...(guild ? { member: this.memberOf(person.user, false) } : {}),
      },
      guild ? INTENTS.GuildMessages : INTENTS.DirectMessages,
    );
    return message;
  }

  // ---- reading -----------------------------------------------------------------------------------

  message(id: string): StoredMessage {
    const found = this.messages.find((message) => message.id === id);
    if (!found) throw new Error(`no message ${id}`);
    return found;
  }

  /** The bot's messages `person` can see in `where`, from position `since` on. */
  seenBy(person: Person, where: Where, since = 0): StoredMessage[] {
    const channelId = where === 'dm' ? person.dmChannelId : where.channelId;
    return this.messages.filter(
      (message) =>
        message.index >= since &&
        message.channelId === channelId &&
        message.authorId === this.bot.id &&
        !message.deleted &&
        (message.visibleTo === null || message.visibleTo === person.user.id) &&
        (message.flags & FLAGS.Loading) === 0,
    );
  }

  callsTo(route: string, since = 0): RestCall[] {
    return this.calls.filter((call) => call.route === route && call.index >= since);
  }

  /** Resolves when `predicate` holds (checked after every change), or fails after `timeoutMs`. */
  waitFor<T>(
    predicate: () => T | null | undefined | false,
    timeoutMs = 10_000,
    what = 'a condition',
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = predicate();
        if (value === null || value === undefined || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
      };
      const onChange = (): void => {
        check();
      };
      this.changes.on('change', onChange);
      check();
    });
  }

  /** Resolves once a client identified and every server was sent. */
  ready(timeoutMs = 10_000): Promise<true> {
    return this.waitFor(
      () => this.session !== null && this.frames.some((frame) => frame.t === 'READY'),
      timeoutMs,
      'the bot to identify',
    );
  }

  /** The gateway connection is up and identified (or resumed). */
  get connected(): boolean {
    return this.session?.socket?.readyState === WebSocket.OPEN;
  }

  /** Closes the bot's gateway connection from Discord's side; the session stays resumable. */
  disconnect(code = 4000): void {
    const session = this.session;
    const socket = session?.socket;
    if (!session || !socket) throw new Error('no bot is connected');
    const connection = this.connections[session.connection];
    if (connection) connection.closedBy = 'server';
    session.socket = null;
    socket.close(code, 'stand-in disconnect');
  }

  // ---- gateway -----------------------------------------------------------------------------------

  private changed(): void {
    this.changes.emit('change');
  }

  private onConnection(ws: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', this.url);
    const index = this.connections.length;
    this.connections.push({
      index,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      closeCode: null,
      closedBy: null,
    });
    this.sockets.add(ws);
    const send = (payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ s: null, t: null, ...payload }));
      this.frames.push({
        connection: index,
        direction: 'out',
        op: payload.op,
        ...(payload.t ? { t: payload.t } : {}),
        ...(typeof payload.s === 'number' ? { s: payload.s } : {}),
        d: payload.d,
        at: Date.now(),
      });
      this.changed();
    };
    ws.on('message', (raw: RawData) => {
      let frame: { op?: number; d?: unknown };
      try {
        frame = JSON.parse(raw.toString()) as { op?: number; d?: unknown };
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      const op = frame.op ?? -1;
      this.frames.push({
        connection: index,
        direction: 'in',
        op,
        d: op === 2 || op === 6 ? '[auth]' : frame.d,
        at: Date.now(),
      });
      this.onFrame(ws, index, op, (frame.d ?? null) as Json | number | null, send);
      this.changed();
    });
    ws.on('close', (code) => {
      this.sockets.delete(ws);
      const connection = this.connections[index];
      if (connection) {
        connection.closeCode = code;
        connection.closedBy ??= 'client';
      }
      for (const session of this.sessions.values()) {
        if (session.socket !== ws) continue;
        session.socket = null;
        // Closing with 1000 or 1001 ends the session; any other code keeps it resumable.
        if (code === 1000 || code === 1001) {
          this.sessions.delete(session.id);
          if (this.session === session) this.session = null;
        }
      }
      this.changed();
    });
    send({ op: 10, d: { heartbeat_interval: this.options.heartbeatMs } });
  }

  private onFrame(
    ws: WebSocket,
    connection: number,
    op: number,
    d: Json | number | null,
    send: (payload: { op: number; d: unknown; s?: number | null; t?: string | null }) => void,
  ): void {
    switch (op) {
      case 1:
        this.heartbeats.push({ at: Date.now(), acked: true });
        send({ op: 11, d: null });
        return;
      case 2: {
        const identify = (d ?? {}) as Json;
        this.identifies.push({ ...identify, token: '[checked]' });
        if (identify.token !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        const session: Session = {
          id: `session-${snowflake()}`,
          intents: Number(identify.intents ?? 0),
          seq: 0,
          log: [],
          socket: ws,
          connection,
        };
        this.sessions.set(session.id, session);
        this.session = session;
        const withGuilds = (session.intents & INTENTS.Guilds) !== 0;
        this.sendDispatch(session, 'READY', {
          v: 10,
          user_settings: {},
          user: this.bot,
          guilds: withGuilds ? this.guilds.map((guild) => ({ id: guild.id, unavailable: true })) : [],
          session_id: session.id,
          session_type: 'normal',
          resume_gateway_url: `${this.gatewayUrl}/resume`,
          shard: [0, 1],
          application: { id: this.applicationId, flags: 0 },
          private_channels: [],
          relationships: [],
          presences: [],
          guild_join_requests: [],
          geo_ordered_rtc_regions: [],
        });
        if (withGuilds)
          for (const guild of this.guilds)
            this.sendDispatch(session, 'GUILD_CREATE', this.guildPayload(guild));
        return;
      }
      case 6: {
        const resume = (d ?? {}) as Json;
        this.resumes.push({ session_id: resume.session_id, seq: resume.seq });
        const session =
          typeof resume.session_id === 'string' ? this.sessions.get(resume.session_id) : undefined;
        if (!session || resume.token !== this.token) {
          send({ op: 9, d: false });
          return;
        }
        session.socket = ws;
        session.connection = connection;
        this.session = session;
        const from = Number(resume.seq ?? 0);
        for (const entry of session.log)
          if (entry.s > from) send({ op: 0, s: entry.s, t: entry.t, d: entry.d });
        this.sendDispatch(session, 'RESUMED', null);
        return;
      }
      default:
        // Presence updates, member requests and the rest: accepted, not modelled.
        return;
    }
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    session.log.push({ s: session.seq, t, d });
    const socket = session.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    const payload = { op: 0, s: session.seq, t, d };
    socket.send(JSON.stringify(payload));
    this.frames.push({
      connection: session.connection,
      direction: 'out',
      op: 0,
      t,
      s: session.seq,
      d,
      at: Date.now(),
    });
    this.changed();
  }

  /** Sends an event to the bot's session if its intents ask for it (kept for a resume while disconnected). */
  private dispatch(t: string, d: unknown, intent?: number): void {
    const session = this.session;
    if (!session) throw new Error('no bot session to dispatch to');
    if (intent !== undefined && (session.intents & intent) === 0) return;
    this.sendDispatch(session, t, d);
  }

  // ---- payloads ----------------------------------------------------------------------------------

  private guildPayload(guild: Guild): Json {
    const manage = 1n << 13n;
    const base = (1n << 10n) | (1n << 11n) | (1n << 16n) | (1n << 31n);
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: snowflake(),
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [
        {
          id: guild.id,
          name: '@everyone',
          color: 0,
          hoist: false,
          icon: null,
          unicode_emoji: null,
          position: 0,
          permissions: (base | (guild.manageMessages ? manage : 0n)).toString(),
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      stickers: [],
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 1 + this.people.size,
      voice_states: [],
      members: [this.memberOf(this.bot, true)],
      channels: [this.channelPayload(guild.channelId, guild, false)],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private memberOf(user: DiscordUser, withUser: boolean): Json {
    return {
      ...(withUser ? { user } : {}),
      roles: [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
    };
  }

  private channelPayload(
    channelId: string,
    guild: Guild | null,
    withGuildId: boolean,
    recipient?: DiscordUser,
  ): Json {
    if (!guild) {
      return {
        id: channelId,
        type: 1,
        recipients: recipient ? [recipient] : [],
        last_message_id: null,
        flags: 0,
      };
    }
    return {
      id: channelId,
      type: 0,
      ...(withGuildId ? { guild_id: guild.id } : {}),
      name: 'general',
      position: 0,
      permission_overwrites: [],
      nsfw: false,
      parent_id: null,
      topic: null,
      rate_limit_per_user: 0,
      last_message_id: null,
      flags: 0,
    };
  }

  private whereOf(message: StoredMessage): Where {
    if (message.guildId === null) return 'dm';
    const guild = this.guilds.find((candidate) => candidate.id === message.guildId);
    if (!guild) throw new Error('unknown server');
    return guild;
  }

  private commandFor(name: string, where: Where): RegisteredCommand | undefined {
    const global = this.globalCommands.find((command) => command.name === name);
    const usable = (command: RegisteredCommand | undefined, context: number) =>
      command &&
      (command.contexts === undefined || command.contexts === null || command.contexts.includes(context))
        ? command
        : undefined;
    if (where === 'dm') return usable(global, 1);
    const local = this.guildCommands.get(where.id)?.find((command) => command.name === name);
    return local ?? usable(global, 0);
  }

  private interact(
    person: Person,
    where: Where,
    type: number,
    data: Json,
    source: StoredMessage | null,
  ): FakeInteraction {
    const guild = where === 'dm' ? null : where;
    const channelId = guild ? guild.channelId : person.dmChannelId;
    const interaction: FakeInteraction = {
      id: snowflake(),
      token: `interaction-token-${snowflake()}-${Math.random().toString(36).slice(2)}`,
      type,
      user: person.user,
      where,
      channelId,
      createdAt: Date.now(),
      sourceMessageId: source?.id ?? null,
      data,
      callback: null,
      originalMessageId: null,
      refused: [],
    };
    this.interactions.set(interaction.id, interaction);
    this.byToken.set(interaction.token, interaction);
    this.dispatch('INTERACTION_CREATE', this.interactionPayload(interaction, person, source));
    return interaction;
  }

  /** Delivers the same INTERACTION_CREATE again (a redelivery after a resume, say). */
  redeliver(interaction: FakeInteraction): void {
    const person = this.people.get(interaction.user.id);
    if (!person) throw new Error('unknown user');
    const source = interaction.sourceMessageId ? this.message(interaction.sourceMessageId) : null;
    this.dispatch('INTERACTION_CREATE', this.interactionPayload(interaction, person, source));
  }

  private interactionPayload(
    interaction: FakeInteraction,
    person: Person,
    source: StoredMessage | null,
  ): Json {
    const guild = interaction.where === 'dm' ? null : interaction.where;
    return {
      id: interaction.id,
      application_id: this.applicationId,
      type: interaction.type,
      token: interaction.token,
      version: 1,
      locale: person.locale,
      entitlements: [],
      app_permissions: '2248473465835073',
      authorizing_integration_owners: { '0': guild ? guild.id : '0' },
      attachment_size_limit: 10_485_760,
      channel_id: interaction.channelId,
      channel: this.channelPayload(interaction.channelId, guild, true, person.user),
      data: interaction.data,
      ...(source ? { message: this.apiMessage(source) } : {}),
      ...(guild
        ? {
            guild_id: guild.id,
            guild: { id: guild.id, locale: 'en-US', features: [] },
            guild_locale: 'en-US',
            member: { ...this.memberOf(person.user, true), permissions: '2248473465835073' },
            context: 0,
          }
        : { user: person.user, context: 1 }),
    };
  }

  private store(message: Omit<StoredMessage, 'index' | 'deleted' | 'edits' | 'createdAt'>): StoredMessage {
    const stored: StoredMessage = {
      ...message,
      index: this.messages.length,
      deleted: false,
      edits: 0,
      createdAt: Date.now(),
    };
    this.messages.push(stored);
    this.changed();
    return stored;
  }

  private apiMessage(message: StoredMessage): Json {
    const author =
      message.authorId === this.bot.id ? this.bot : (this.people.get(message.authorId)?.user ?? this.bot);
    const fromInteraction = message.via === 'callback' || message.via === 'followup';
    return {
      id: message.id,
      channel_id: message.channelId,
      ...(message.guildId ? { guild_id: message.guildId } : {}),
      author,
      content: message.content,
      timestamp: new Date(message.createdAt).toISOString(),
      edited_timestamp: message.edits > 0 ? new Date().toISOString() : null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: message.attachments.map((file) => ({
        id: file.id,
        filename: file.filename,
        size: file.data.length,
        url: `${this.url}/attachments/${message.id}/${file.filename}`,
        proxy_url: `${this.url}/attachments/${message.id}/${file.filename}`,
        content_type: 'image/png',
        ...(file.description ? { description: file.description } : {}),
      })),
      embeds: [],
      pinned: false,
      type: fromInteraction ? 20 : 0,
      flags: message.flags,
      components: message.components,
      ...(fromInteraction ? { webhook_id: this.applicationId, application_id: this.applicationId } : {}),
    };
  }

  // ---- REST --------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10(?=\/)/, ''));
    const query = Object.fromEntries(url.searchParams);
    const contentType = String(request.headers['content-type'] ?? '');
    const authorization =
      typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
    let body: unknown = null;
    let files: UploadedFile[] = [];
    let route = `${method} ${path}`;
    let status = 200;
    let answer: unknown = null;
    const headers: Record<string, string> = {};
    try {
      if (!url.pathname.startsWith('/api/v10/')) throw new HttpError(404, 0, '404: Not Found');
      if (contentType.startsWith('multipart/form-data')) {
        const parsed = readMultipart(raw, contentType);
        body = parsed.payload;
        files = parsed.files;
      } else if (raw.length > 0) {
        body = JSON.parse(raw.toString('utf8'));
      }
      const matched = this.route(method, path);
      route = matched.route;
      const failure = this.takeFailure(route);
      if (failure) {
        status = failure.status;
        if ('retryAfter' in failure) {
          const seconds = failure.retryAfter;
          Object.assign(headers, {
            'retry-after': String(seconds),
            'x-ratelimit-limit': '1',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset-after': String(seconds),
            'x-ratelimit-bucket': 'stand-in-bucket',
            'x-ratelimit-scope': 'user',
          });
          answer = { message: 'You are being rate limited.', retry_after: seconds, global: false };
        } else if ('code' in failure) {
          answer = { code: failure.code, message: failure.message };
        } else {
          answer = { code: 0, message: '500: Internal Server Error' };
        }
      } else {
        if (matched.auth && authorization !== `Bot ${this.token}`)
          throw new HttpError(401, 0, '401: Unauthorized');
        const result = this.serve(matched, method, body as Json, files, query);
        status = result.status;
        answer = result.body;
      }
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        answer = { code: error.code, message: error.message };
      } else {
        status = 400;
        answer = { code: 50109, message: `The request body contains invalid JSON. (${String(error)})` };
      }
    }
    let sentType: string | undefined;
    if (status === 204) {
      response.writeHead(204, headers);
      response.end();
    } else {
      sentType = 'application/json';
      response.writeHead(status, { ...headers, 'content-type': sentType });
      response.end(JSON.stringify(answer));
    }
    this.calls.push({
      index: this.calls.length,
      method,
      path,
      route,
      query,
      authorization: authorization ? authorization.replace(/ .+/, ' [token]') : undefined,
      body,
      files,
      status,
      contentType: sentType,
      response: answer,
      at: Date.now(),
    });
    this.changed();
  }

  private takeFailure(route: string): Failure | null {
    const index = this.failures.findIndex((entry) => entry.route === route);
    if (index < 0) return null;
    const [entry] = this.failures.splice(index, 1);
    return entry?.failure ?? null;
  }

  private route(
    method: string,
    path: string,
  ): { route: string; auth: boolean; params: Record<string, string> } {
    const patterns: [string, boolean][] = [
      ['GET /gateway/bot', true],
      ['GET /gateway', false],
      ['GET /users/@me', true],
      ['POST /users/@me/channels', true],
      ['PUT /applications/:app/commands', true],
      ['GET /applications/:app/commands', true],
      ['PUT /applications/:app/guilds/:guild/commands', true],
      ['POST /interactions/:id/:token/callback', false],
      ['POST /webhooks/:app/:token', false],
      ['GET /webhooks/:app/:token/messages/:message', false],
      ['PATCH /webhooks/:app/:token/messages/:message', false],
      ['DELETE /webhooks/:app/:token/messages/:message', false],
      ['GET /channels/:channel', true],
      ['POST /channels/:channel/messages', true],
      ['PATCH /channels/:channel/messages/:message', true],
      ['DELETE /channels/:channel/messages/:message', true],
      ['POST /channels/:channel/typing', true],
    ];
    const parts = path.split('/').filter((part) => part !== '');
    for (const [pattern, auth] of patterns) {
      const [patternMethod, patternPath = ''] = pattern.split(' ');
      if (patternMethod !== method) continue;
      const expected = patternPath.split('/').filter((part) => part !== '');
      if (expected.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = expected.every((segment, index) => {
        const actual = decodeURIComponent(parts[index] ?? '');
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = actual;
          return true;
        }
        return segment === actual;
      });
      if (ok) return { route: pattern, auth, params };
    }
    throw new HttpError(404, 0, '404: Not Found');
  }

  private serve(
    matched: { route: string; params: Record<string, string> },
    _method: string,
    body: Json,
    files: UploadedFile[],
    query: Record<string, string>,
  ): { status: number; body: unknown } {
    const p = matched.params;
    switch (matched.route) {
      case 'GET /gateway/bot':
        return {
          status: 200,
          body: {
            url: this.gatewayUrl,
            shards: 1,
            session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
          },
        };
      case 'GET /gateway':
        return { status: 200, body: { url: this.gatewayUrl } };
      case 'GET /users/@me':
        return { status: 200, body: this.bot };
      case 'POST /users/@me/channels': {
        const person = this.people.get(String(body?.recipient_id));
        if (!person) throw new HttpError(400, 50033, 'Invalid Recipient(s)');
        // Creating the channel works even when the user does not take DMs; sending is refused.
        return { status: 200, body: this.channelPayload(person.dmChannelId, null, false, person.user) };
      }
      case 'PUT /applications/:app/commands':
      case 'PUT /applications/:app/guilds/:guild/commands': {
        if (p.app !== this.applicationId) throw new HttpError(403, 50001, 'Missing Access');
        if (!Array.isArray(body)) throw new HttpError(400, 50035, 'Invalid Form Body');
        const registered = (body as Json[]).map((command) => ({
          ...command,
          id: snowflake(),
          application_id: this.applicationId,
          version: snowflake(),
          ...(p.guild ? { guild_id: p.guild } : {}),
        })) as unknown as RegisteredCommand[];
        if (p.guild) this.guildCommands.set(p.guild, registered);
        else this.globalCommands.splice(0, this.globalCommands.length, ...registered);
        return { status: 200, body: registered };
      }
      case 'GET /applications/:app/commands':
        return { status: 200, body: this.globalCommands };
      case 'POST /interactions/:id/:token/callback':
        return this.callback(p.id ?? '', p.token ?? '', body, files, query.with_response === 'true');
      case 'POST /webhooks/:app/:token': {
        const interaction = this.webhookInteraction(p.app ?? '', p.token ?? '');
        if (!interaction.callback) throw new HttpError(404, 10015, 'Unknown Webhook');
        const flags = Number(body?.flags ?? 0);
        const message = this.botMessage(
          interaction.channelId,
          interaction.where,
          body,
          files,
          'followup',
          interaction,
          (flags & FLAGS.Ephemeral) !== 0,
        );
        return query.wait === 'true'
          ? { status: 200, body: this.apiMessage(message) }
          : { status: 204, body: null };
      }
      case 'GET /webhooks/:app/:token/messages/:message':
      case 'PATCH /webhooks/:app/:token/messages/:message':
      case 'DELETE /webhooks/:app/:token/messages/:message': {
        const interaction = this.webhookInteraction(p.app ?? '', p.token ?? '');
        const id = p.message === '@original' ? interaction.originalMessageId : p.message;
        const message = id
          ? this.messages.find((candidate) => candidate.id === id && !candidate.deleted)
          : undefined;
        if (!message) throw new HttpError(404, 10008, 'Unknown Message');
        if (matched.route.startsWith('DELETE')) {
          message.deleted = true;
          return { status: 204, body: null };
        }
        if (matched.route.startsWith('PATCH')) this.edit(message, body, files);
        return { status: 200, body: this.apiMessage(message) };
      }
      case 'GET /channels/:channel': {
        const found = this.channel(p.channel ?? '');
        return { status: 200, body: found.payload };
      }
      case 'POST /channels/:channel/messages': {
        const found = this.channel(p.channel ?? '');
        if (found.person && !found.person.dmsOpen)
          throw new HttpError(403, 50007, 'Cannot send messages to this user');
        const message = this.botMessage(found.id, found.guild ?? 'dm', body, files, 'channel', null, false);
        return { status: 200, body: this.apiMessage(message) };
      }
      case 'PATCH /channels/:channel/messages/:message': {
        const message = this.messages.find(
          (candidate) => candidate.id === p.message && candidate.channelId === p.channel,
        );
        if (!message || message.deleted) throw new HttpError(404, 10008, 'Unknown Message');
        if (message.authorId !== this.bot.id || message.visibleTo !== null) {
          throw new HttpError(403, 50005, 'Cannot edit a message authored by another user');
        }
        this.edit(message, body, files);
        return { status: 200, body: this.apiMessage(message) };
      }
      case 'DELETE /channels/:channel/messages/:message': {
        const found = this.channel(p.channel ?? '');
        const message = this.messages.find(
          (candidate) => candidate.id === p.message && candidate.channelId === found.id,
        );
        if (!message || message.deleted) throw new HttpError(404, 10008, 'Unknown Message');
        if (message.authorId !== this.bot.id) {
          if (!found.guild) throw new HttpError(403, 50003, 'Cannot execute action on a DM channel');
          if (!found.guild.manageMessages) throw new HttpError(403, 50013, 'Missing Permissions');
        }
        message.deleted = true;
        return { status: 204, body: null };
      }
      case 'POST /channels/:channel/typing':
        this.channel(p.channel ?? '');
        return { status: 204, body: null };
      default:
        throw new HttpError(404, 0, '404: Not Found');
    }
  }

  private channel(id: string): { id: string; guild: Guild | null; person: Person | null; payload: Json } {
    const guild = this.guilds.find((candidate) => candidate.channelId === id);
    if (guild) return { id, guild, person: null, payload: this.channelPayload(id, guild, true) };
    const person = [...this.people.values()].find((candidate) => candidate.dmChannelId === id);
    if (person)
      return { id, guild: null, person, payload: this.channelPayload(id, null, false, person.user) };
    throw new HttpError(404, 10003, 'Unknown Channel');
  }

  private webhookInteraction(app: string, token: string): FakeInteraction {
    const interaction = this.byToken.get(token);
    if (app !== this.applicationId || !interaction) throw new HttpError(404, 10015, 'Unknown Webhook');
    if (Date.now() - interaction.createdAt > this.options.tokenLifetimeMs) {
      throw new HttpError(401, 50027, 'Invalid Webhook Token');
    }
    return interaction;
  }

  private callback(
    id: string,
    token: string,
    body: Json,
    files: UploadedFile[],
    withResponse: boolean,
  ): { status: number; body: unknown } {
    const interaction = this.interactions.get(id);
    const refuse = (status: number, code: number, message: string): never => {
      interaction?.refused.push({ status, code, at: Date.now() });
      throw new HttpError(status, code, message);
    };
    if (!interaction || interaction.token !== token) return refuse(404, 10062, 'Unknown interaction');
    const afterMs = Date.now() - interaction.createdAt;
    if (afterMs > this.options.answerWithinMs) return refuse(404, 10062, 'Unknown interaction');
    if (interaction.callback) return refuse(400, 40060, 'Interaction has already been acknowledged.');
    const type = Number(body?.type);
    const data = (body?.data ?? {}) as Json;
    const source = interaction.sourceMessageId ? this.message(interaction.sourceMessageId) : null;
    switch (type) {
      case CALLBACK.ChannelMessage: {
        const message = this.botMessage(
          interaction.channelId,
          interaction.where,
          data,
          files,
          'callback',
          interaction,
          (Number(data.flags ?? 0) & FLAGS.Ephemeral) !== 0,
        );
        interaction.originalMessageId = message.id;
        break;
      }
      case CALLBACK.DeferredChannelMessage: {
        const ephemeral = (Number(data.flags ?? 0) & FLAGS.Ephemeral) !== 0;
        const message = this.botMessage(
          interaction.channelId,
          interaction.where,
          { content: '' },
          [],
          'callback',
          interaction,
          ephemeral,
          FLAGS.Loading,
        );
        interaction.originalMessageId = message.id;
        break;
      }
      case CALLBACK.DeferredUpdate:
      case CALLBACK.UpdateMessage: {
        if (!source)
          return refuse(400, 50035, 'Invalid Form Body: this interaction has no message to update');
        if (type === CALLBACK.UpdateMessage) this.edit(source, data, files);
        interaction.originalMessageId = source.id;
        break;
      }
      case CALLBACK.Modal: {
        if (interaction.type === INTERACTION_TYPE.ModalSubmit) {
          return refuse(400, 50035, 'Invalid Form Body: a modal cannot answer a modal submit');
        }
        validateModal(data);
        break;
      }
      default:
        return refuse(400, 50035, `Invalid Form Body: unknown callback type ${type}`);
    }
    interaction.callback = { type, data, at: Date.now(), afterMs };
    this.changed();
    if (!withResponse) return { status: 204, body: null };
    const original = interaction.originalMessageId ? this.message(interaction.originalMessageId) : null;
    return {
      status: 200,
      body: {
        interaction: {
          id: interaction.id,
          type: interaction.type,
          activity_instance_id: null,
          response_message_id: original?.id ?? null,
          response_message_loading: type === CALLBACK.DeferredChannelMessage,
          response_message_ephemeral: original ? (original.flags & FLAGS.Ephemeral) !== 0 : false,
        },
        resource: { type, ...(original ? { message: this.apiMessage(original) } : {}) },
      },
    };
  }

  private botMessage(
    channelId: string,
    where: Where,
    data: Json,
    files: UploadedFile[],
    via: StoredMessage['via'],
    interaction: FakeInteraction | null,
    ephemeral: boolean,
    extraFlags = 0,
  ): StoredMessage {
    validateMessage(data);
    const flags = (Number(data.flags ?? 0) & ~FLAGS.Loading) | extraFlags | (ephemeral ? FLAGS.Ephemeral : 0);
    return this.store({
      id: snowflake(),
      channelId,
      guildId: where === 'dm' ? null : where.id,
      authorId: this.bot.id,
      content: String(data.content ?? ''),
      components: (data.components as Json[] | undefined) ?? [],
      flags,
      attachments: attachmentsOf(data, files),
      visibleTo: ephemeral && interaction ? interaction.user.id : null,
      via,
      interactionId: interaction?.id ?? null,
    });
  }

  private edit(message: StoredMessage, data: Json, files: UploadedFile[]): void {
    validateMessage(data);
    if ('content' in data) message.content = String(data.content ?? '');
    if ('components' in data) message.components = (data.components as Json[] | undefined) ?? [];
    if (files.length > 0 || 'attachments' in data) message.attachments = attachmentsOf(data, files);
    message.flags &= ~FLAGS.Loading;
    message.edits += 1;
    this.changed();
  }
}

// ---- helpers -----------------------------------------------------------------------------------------

/** The buttons under a message. */
export function buttonsOf(message: StoredMessage): { custom_id?: string; label?: string; style?: number }[] {
  return message.components.flatMap(
    (row) => ((row.components as Json[] | undefined) ?? []) as { custom_id?: string; label?: string }[],
  );
}

/** The text inputs of a form (inside Label components, or legacy action rows). */
export function textInputsOf(
  modal: Json,
): { custom_id: string; max_length?: number; label: string; style?: number; required?: boolean }[] {
  return ((modal.components as Json[] | undefined) ?? []).flatMap((component) => {
    if (component.type === 18) {
      const inner = component.component as Json;
      return [{ ...(inner as { custom_id: string }), label: String(component.label) }];
    }
    return ((component.components as Json[] | undefined) ?? []).map((inner) => ({
      ...(inner as { custom_id: string }),
      label: String(inner.label ?? ''),
    }));
  });
}

function attachmentsOf(data: Json, files: UploadedFile[]): StoredMessage['attachments'] {
  const described = new Map(
    ((data.attachments as Json[] | undefined) ?? []).map((entry) => [
      String(entry.id),
      entry.description as string | undefined,
    ]),
  );
  return files.map((file, index) => {
    const id = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? String(index);
    const description = described.get(id);
    return { id, filename: file.filename, data: file.data, ...(description ? { description } : {}) };
  });
}

function invalid(reason: string): never {
  throw new HttpError(400, 50035, `Invalid Form Body: ${reason}`);
}

function validateMessage(data: Json): void {
  if (typeof data.content === 'string' && data.content.length > LIMITS.content)
    invalid('content is longer than 2000');
  if ('ephemeral' in data) invalid('unknown field "ephemeral"');
  const rows = (data.components as Json[] | undefined) ?? [];
  if (rows.length > LIMITS.rows) invalid('more than 5 action rows');
  for (const row of rows) {
    if (row.type !== 1) invalid('a top-level component is not an action row');
    const buttons = (row.components as Json[] | undefined) ?? [];
    if (buttons.length < 1 || buttons.length > LIMITS.perRow) invalid('an action row holds 1-5 buttons');
    for (const button of buttons) {
      if (button.type !== 2) invalid('only buttons are modelled');
      const id = String(button.custom_id ?? '');
      if (id.length < 1 || id.length > LIMITS.customId) invalid('custom_id must be 1-100 characters');
      const label = String(button.label ?? '');
      if (label.length > LIMITS.buttonLabel) invalid('button label longer than 80');
    }
  }
}

function validateModal(data: Json): void {
  const id = String(data.custom_id ?? '');
  if (id.length < 1 || id.length > LIMITS.customId) invalid('modal custom_id must be 1-100 characters');
  const title = String(data.title ?? '');
  if (title.length < 1 || title.length > LIMITS.modalTitle) invalid('modal title must be 1-45 characters');
  const components = (data.components as Json[] | undefined) ?? [];
  if (components.length < 1 || components.length > 5) invalid('a modal holds 1-5 components');
  for (const component of components) {
    if (component.type !== 18) invalid('modal text inputs sit in Label components');
    const label = String(component.label ?? '');
    if (label.length < 1 || label.length > LIMITS.label) invalid('label must be 1-45 characters');
    const input = component.component as Json | undefined;
    if (input?.type !== 4) invalid('a label holds a text input');
    if ('label' in input) invalid('a text input in a Label has no label of its own');
    const max = Number(input.max_length ?? 4000);
    if (!(max >= 1 && max <= 4000)) invalid('max_length must be 1-4000');
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A minimal multipart/form-data reader (RFC 7578): `payload_json` and the uploaded files. */
function readMultipart(raw: Buffer, contentType: string): { payload: unknown; files: UploadedFile[] } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  const files: UploadedFile[] = [];
  let payload: unknown = null;
  let position = raw.indexOf(marker);
  while (position >= 0) {
    const start = position + marker.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(marker, start);
    if (next < 0) break;
    const part = raw.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]+)"/i.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (filename !== undefined) files.push({ field: name, filename, data: Buffer.from(content) });
    else if (name === 'payload_json') payload = JSON.parse(content.toString('utf8'));
    position = next;
  }
  return { payload, files };
}
