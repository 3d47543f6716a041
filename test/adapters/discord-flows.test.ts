/**
 * Every guided task on Discord, for real: the discord.js client built by `createDiscordBot` connects to the
 * project's stand-in of Discord (REST over HTTP, the gateway over WebSocket, on loopback), and the engine runs
 * the real flows on the real services over the test Redis, with real argon2 and real TOTP. Only SMS and email
 * are faked, at the edge of the world. Each test plays Discord users running slash commands, pressing
 * buttons, filling in forms and typing messages, and checks what they see, what the account became, that
 * every reply in a server was ephemeral, and that no secret reached a log line.
 */
import argon2 from 'argon2';
import { Events } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { createDiscordBot } from '../../adapters/discord/bot.ts';
import { t } from '../../src/catalog/catalog.ts';
import { systemClock } from '../../src/clock.ts';
import type { FlowEvent, FlowInput, FlowOutput, ReplyEvent } from '../../src/core/flow.ts';
import { FIELD_MAX } from '../../src/core/reply.ts';
import type { Delivery, OutgoingMessage } from '../../src/delivery/delivery.ts';
import type { FlowDefinition } from '../../src/engine/registry.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { qrPng } from '../../src/twofa/qr.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import {
  buttonsOf,
  CALLBACK,
  FLAGS,
  INTENTS,
  type Person,
  type StoredMessage,
  textInputsOf,
} from '../helpers/discord-api.ts';
import {
  answered,
  answerInForm,
  buttonId,
  codeSentTo,
  createWorld,
  EMAIL,
  expectNoSecretInLogs,
  keysSeen,
  mark,
  NEW_EMAIL,
  NEW_PASSWORD,
  NEW_PHONE,
  NEW_PHONE_SHOWN,
  openForm,
  outbound,
  PASSWORD,
  PHONE,
  PHONE_MASKED,
  PHONE_TYPED,
  press,
  STEP_MS,
  shows,
  type World,
  type WorldOptions,
} from '../helpers/discord-harness.ts';
import { connectRedis } from '../helpers/redis.ts';

const redis = connectRedis();
const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
});

async function world(options: WorldOptions = {}): Promise<World> {
  const w = await createWorld(redis, options);
  worlds.push(w);
  return w;
}

/** Every message of the bot in the server channel is ephemeral and only `person` sees it. */
function expectAllEphemeral(w: World, person: Person): void {
  const inServer = w.discord.messages.filter(
    (message) => message.channelId === w.server.channelId && message.authorId === w.discord.bot.id,
  );
  expect(inServer.length).toBeGreaterThan(0);
  for (const message of inServer) {
    expect({
      key: keysSeen(w, person, w.server, message.index)[0],
      flags: message.flags & FLAGS.Ephemeral,
    }).toEqual({
      key: keysSeen(w, person, w.server, message.index)[0],
      flags: FLAGS.Ephemeral,
    });
    expect(message.visibleTo).toBe(person.user.id);
  }
  // Nothing was posted into the channel for everyone to read.
  expect(
    w.discord
      .callsTo('POST /channels/:channel/messages')
      .filter((call) => call.path.includes(w.server.channelId)),
  ).toEqual([]);
}

/** A provider that holds every message for `ms` first (a slow SMS gateway). */
function slow(delivery: Delivery, ms: number): Delivery {
  return {
    async send(message: OutgoingMessage) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await delivery.send(message);
    },
  };
}

describe('the Discord adapter on the Discord stand-in (discord.js client, real engine, services and Redis)', () => {
  it('connects through rest.api and the gateway, identifies with only Guilds and DirectMessages, and registers every command with contexts and integration_types', async () => {
    const w = await world();
    const { discord, bot } = w;
    const [gateway] = discord.callsTo('GET /gateway/bot');
    expect(gateway?.authorization).toBe('Bot [token]');
    expect(discord.connections[0]?.query).toMatchObject({ v: '10', encoding: 'json' });
    expect(discord.identifies).toHaveLength(1);
    expect(discord.identifies[0]?.intents).toBe(INTENTS.Guilds | INTENTS.DirectMessages);
    const sent = discord.frames
      .filter((frame) => frame.direction === 'out')
      .map((frame) => frame.t ?? `op${frame.op}`);
    expect(sent.slice(0, 3)).toEqual(['op10', 'READY', 'GUILD_CREATE']);
    expect(bot.client.guilds.cache.has(w.server.id)).toBe(true);
    // Heartbeats are sent and acknowledged.
    await discord.waitFor(
      () => discord.frames.some((frame) => frame.direction === 'in' && frame.op === 1),
      5_000,
      'a heartbeat',
    );
    await discord.waitFor(() => discord.frames.some((frame) => frame.op === 11), 5_000, 'a heartbeat ACK');
    expect(bot.healthy()).toBe(true);

    const [registration] = discord.callsTo('PUT /applications/:app/commands');
    expect(registration?.status).toBe(200);
    const commands = registration?.body as {
      name: string;
      contexts?: number[];
      integration_types?: number[];
      options?: unknown[];
    }[];
    const names = commands.map((command) => command.name);
    for (const name of [
      'security',
      'link',
      'password',
      'phone',
      'email',
      '2fa',
      'activity',
      'cancel',
      'help',
      'recover',
    ]) {
      expect(names).toContain(name);
    }
    // Every flow the engine runs has its command, with no Discord change.
    for (const flow of w.engine.flowDefinitions) expect(names).toContain(flow.command.toLowerCase());
    for (const command of commands) {
      expect(command).not.toHaveProperty('dm_permission');
      expect(command.contexts).toEqual([0, 1]);
      expect(command.integration_types).toEqual([0, 1]);
    }
    expect(commands.find((command) => command.name === 'recover')?.options).toEqual([
      expect.objectContaining({ name: 'code', type: 3, required: true }),
    ]);
  });

  it('registers the commands in one server with guildId (without contexts, which Discord reads only globally)', async () => {
    const w = await world({ noStart: true });
    const bot = createDiscordBot({
      token: w.discord.token,
      applicationId: w.discord.applicationId,
      apiRoot: w.discord.apiRoot,
      guildId: w.server.id,
      engine: w.engine,
      kv: new RedisKv(redis),
      prefix: w.prefix,
      log: silentLogger,
    });
    try {
      await bot.start();
      expect(w.discord.callsTo('PUT /applications/:app/commands')).toEqual([]);
      const [registration] = w.discord.callsTo('PUT /applications/:app/guilds/:guild/commands');
      expect(registration?.path).toBe(
        `/applications/${w.discord.applicationId}/guilds/${w.server.id}/commands`,
      );
      for (const command of (registration?.body ?? []) as object[]) {
        expect(command).not.toHaveProperty('contexts');
        expect(command).not.toHaveProperty('dm_permission');
      }
      w.discord.slash(w.alice, w.server, 'help');
      const help = await shows(w, w.alice, w.server, 'common.help');
      expect(help.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
      expect(() => w.discord.slash(w.alice, 'dm', 'help')).toThrow(/not registered/);
    } finally {
      await bot.stop();
    }
  });

  it('links a DM: /link, the number typed as a plain message (kept), the SMS code through the form; DM replies are plain', async () => {
    const w = await world();
    const { discord, bob } = w;
    discord.slash(bob, 'dm', 'link');
    await shows(w, bob, 'dm', 'link.askDestination');
    let since = mark(w);
    const typed = discord.say(bob, 'dm', PHONE_TYPED);
    const askCode = await shows(w, bob, 'dm', 'link.askCode', { to: PHONE_TYPED }, since);
    expect(typed.deleted).toBe(false);
    // The code prompt: Continue opens a form whose field comes from the prompt model.
    const opened = await openForm(w, bob, askCode);
    expect(textInputsOf(opened.callback?.data ?? {})).toEqual([
      expect.objectContaining({
        custom_id: 'answer',
        label: t('en', 'field.code'),
        max_length: FIELD_MAX.code,
        style: 1,
        required: true,
      }),
    ]);
    since = mark(w);
    const code = codeSentTo(w, PHONE);
    discord.submit(bob, opened, [code]);
    await shows(w, bob, 'dm', 'link.done', undefined, since);
    const account = await w.account();
    expect(account.links.map((link) => [link.channel, link.userId])).toEqual([
      ['discord', w.alice.user.id],
      ['discord', bob.user.id],
    ]);
    expect(w.delivery.to(PHONE).at(-1)?.text).toBe(t('en', 'link.noticeSms', { channel: 'Discord' }));
    // In the DM every reply is a plain message.
    for (const message of discord.seenBy(bob, 'dm')) expect(message.flags & FLAGS.Ephemeral).toBe(0);
    expect(discord.callsTo('DELETE /channels/:channel/messages/:message')).toEqual([]);
    expect(outbound(w)).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    expectNoSecretInLogs(w);
  });

  it('changes the password in a server through forms only: ephemeral replies, a dismissed form sends nothing, the new password and its repeat in one form', async () => {
    const w = await world();
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'password');
    const askCurrent = await shows(w, alice, server, 'password.askCurrent');
    expect(buttonsOf(askCurrent).map((button) => button.label)).toEqual([
      t('en', 'discord.formButton'),
      t('en', 'password.choiceForgot'),
    ]);
    expect(askCurrent.content).toContain(t('en', 'discord.secretHint'));

    // The form: a secret field labelled from the prompt model, at most 128 characters.
    const dismissed = await openForm(w, alice, askCurrent);
    expect(dismissed.callback?.afterMs).toBeLessThan(3_000);
    expect(dismissed.callback?.data.title).toBe(t('en', 'field.password'));
    expect(textInputsOf(dismissed.callback?.data ?? {})).toEqual([
      expect.objectContaining({ label: t('en', 'field.password'), max_length: FIELD_MAX.password }),
    ]);
    // The user closes the form: Discord sends nothing, and the button still works.
    const reopened = await openForm(w, alice, askCurrent);
    expect(reopened.callback?.type).toBe(CALLBACK.Modal);

    let since = mark(w);
    discord.submit(alice, reopened, [PASSWORD]);
    const askNew = await shows(w, alice, server, 'password.askNew', undefined, since);
    // A modal cannot answer a modal: the next secret is a new ephemeral message with its own Continue.
    const both = await openForm(w, alice, askNew);
    const fields = textInputsOf(both.callback?.data ?? {});
    expect(fields.map((field) => field.label)).toEqual([
      t('en', 'field.newPassword'),
      t('en', 'discord.field.repeat'),
    ]);
    since = mark(w);
    discord.submit(alice, both, [NEW_PASSWORD, NEW_PASSWORD]);
    await shows(w, alice, server, 'password.changed', { signedOut: 2 }, since);

    const account = await w.account();
    expect(await argon2.verify(account.passwordHash, NEW_PASSWORD)).toBe(true);
    expect(account.sessions).toEqual([]);
    expect(w.delivery.to(EMAIL)[0]?.subject).toBe(t('en', 'password.noticeEmailSubject'));
    expectAllEphemeral(w, alice);
    // Every callback answered in time; a 204 carries no content type.
    const callbacks = discord.callsTo('POST /interactions/:id/:token/callback');
    expect(callbacks.map((call) => [call.status, call.contentType])).toEqual(
      callbacks.map(() => [204, undefined]),
    );
    for (const interaction of discord.interactions.values())
      expect(interaction.callback?.afterMs).toBeLessThan(3_000);
    expect(outbound(w)).not.toContain(PASSWORD);
    expect(outbound(w)).not.toContain(NEW_PASSWORD);
    expectNoSecretInLogs(w);
  });

  it('takes the repeat from the same form only when the flow asks for it: a differing repeat is refused, a refused password drops its repeat unread', async () => {
    const w = await world();
    const { discord, alice } = w;
    discord.slash(alice, 'dm', 'password');
    const askCurrent = await shows(w, alice, 'dm', 'password.askCurrent');
    const askNew = await answerInForm(w, alice, 'dm', askCurrent, [PASSWORD], 'password.askNew');
    let since = mark(w);
    const form = await openForm(w, alice, askNew);
    discord.submit(alice, form, [NEW_PASSWORD, `${NEW_PASSWORD}x`]);
    await shows(w, alice, 'dm', 'password.mismatch', undefined, since);
    const again = await discord.waitFor(
      () => discord.seenBy(alice, 'dm', since).findLast((message) => buttonsOf(message).length > 0),
      STEP_MS,
      'the new password asked again',
    );
    expect(keysSeen(w, alice, 'dm', since)).not.toContain('password.askRepeat');

    // Too short: refused by the policy, so the second field is never read as a repeat.
    since = mark(w);
    const short = await openForm(w, alice, again);
    expect(textInputsOf(short.callback?.data ?? {})).toHaveLength(2);
    discord.submit(alice, short, ['abc1', 'abc1']);
    const refusal = await discord.waitFor(
      () => discord.seenBy(alice, 'dm', since).findLast((message) => buttonsOf(message).length > 0),
      STEP_MS,
      'the refusal',
    );
    expect(keysSeen(w, alice, 'dm', since)).not.toContain('password.askRepeat');
    expect(keysSeen(w, alice, 'dm', since)).not.toContain('password.mismatch');
    expect(textInputsOf((await openForm(w, alice, refusal)).callback?.data ?? {})).toHaveLength(2);
    expect(await argon2.verify((await w.account()).passwordHash, PASSWORD)).toBe(true);
    w.secrets.add(`${NEW_PASSWORD}x`);
    expectNoSecretInLogs(w);
  });

  it('swaps the phone in a DM: a pressed choice retires its buttons, codes through forms, the new number typed; a 429 on a follow-up is waited out', async () => {
    const w = await world();
    const { discord, alice } = w;
    discord.slash(alice, 'dm', 'phone');
    const intro = await shows(w, alice, 'dm', 'phone.intro', { phone: PHONE_MASKED });
    discord.failNext('POST /webhooks/:app/:token', { status: 429, retryAfter: 0.3 });
    let since = mark(w);
    press(w, alice, intro, 'codes.choicePhone', { to: PHONE_MASKED });
    const askOld = await shows(w, alice, 'dm', 'codes.askCode', { to: PHONE_MASKED }, since);
    // The press answered with UPDATE_MESSAGE: the intro lost its buttons; the answer is a follow-up.
    expect(discord.message(intro.id).components).toEqual([]);
    expect(
      discord
        .callsTo('POST /webhooks/:app/:token')
        .map((call) => call.status)
        .slice(0, 2),
    ).toEqual([429, 200]);

    const askNew = await answerInForm(w, alice, 'dm', askOld, [codeSentTo(w, PHONE)], 'phone.askNew');
    expect(askNew.content).toContain(t('en', 'discord.textHintDm'));
    since = mark(w);
    discord.say(alice, 'dm', NEW_PHONE_SHOWN);
    const askNewCode = await shows(w, alice, 'dm', 'phone.askNewCode', { to: NEW_PHONE_SHOWN }, since);
    expect((await w.account()).phone).toBe(PHONE);
    await answerInForm(w, alice, 'dm', askNewCode, [codeSentTo(w, NEW_PHONE)], 'phone.changed', {
      phone: NEW_PHONE_SHOWN,
    });
    expect((await w.account()).phone).toBe(NEW_PHONE);
    expect(w.delivery.to(PHONE).at(-1)?.text).toContain('the phone number of your account was changed');
    expectNoSecretInLogs(w);
  });

  it('adds an email address in a server: the password and the address through forms, then the emailed code', async () => {
    const w = await world();
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'email');
    const askPassword = await shows(w, alice, server, 'email.askPassword');
    const askAddress = await answerInForm(
      w,
      alice,
      server,
      askPassword,
      [PASSWORD],
      'email.askAddressChange',
      {
        current: 'a***@example.com',
      },
    );
    // A text prompt in a server is answered in a form too (plain messages there are not read).
    expect(askAddress.content).toContain(t('en', 'discord.textHint'));
    const opened = await openForm(w, alice, askAddress);
    expect(textInputsOf(opened.callback?.data ?? {})).toEqual([
      expect.objectContaining({ label: t('en', 'field.email'), max_length: FIELD_MAX.email }),
    ]);
    let since = mark(w);
    discord.submit(alice, opened, [NEW_EMAIL]);
    await shows(w, alice, server, 'email.sentCodeOnly', { to: NEW_EMAIL }, since);
    const askCode = await discord.waitFor(
      () => discord.seenBy(alice, server, since).find((message) => buttonsOf(message).length > 0),
      STEP_MS,
      'the code prompt',
    );
    const [mail] = w.delivery.to(NEW_EMAIL);
    const code = /(?<!\d)(\d{6})(?!\d)/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    since = mark(w);
    await answerInForm(w, alice, server, askCode, [code], 'email.changed', { email: NEW_EMAIL });
    expect((await w.account()).email).toBe(NEW_EMAIL);
    expectAllEphemeral(w, alice);
    expectNoSecretInLogs(w);
  });

  it('turns on 2FA in a server: the QR code is an attachment of an ephemeral reply, the key and recovery codes ephemeral, then "I saved them"', async () => {
    const w = await world();
    const { discord, alice, server } = w;
    discord.slash(alice, server, '2fa');
    const askPassword = await shows(w, alice, server, 'twofa.askPasswordOn');
    const since = mark(w);
    const askSetup = await answerInForm(w, alice, server, askPassword, [PASSWORD], 'twofa.askSetupCode');
    const picture = discord
      .seenBy(alice, server, since)
      .find((message) => message.attachments.length > 0) as StoredMessage;
    expect(picture).toBeDefined();
    expect(picture.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    expect(picture.visibleTo).toBe(alice.user.id);
    const [attachment] = picture.attachments;
    expect(attachment?.filename).toBe('lockstep-qr-code.png');
    expect(attachment?.description).toBe(t('en', 'twofa.qrAlt'));
    expect(attachment?.data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const key = /\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/.exec(picture.content)?.[1] ?? '';
    expect(key).not.toBe('');
    const secret = key.replaceAll(' ', '');
    w.secrets.add(secret);
    w.secrets.add(key);
    const totp = new TotpService({ clock: systemClock, issuer: 'lockstep' });
    expect(attachment?.data.equals(Buffer.from(await qrPng(totp.uri(secret, EMAIL)), 'base64'))).toBe(true);

    const code = await totp.currentCode(secret);
    const afterCode = mark(w);
    const askSaved = await answerInForm(w, alice, server, askSetup, [code], 'twofa.askSaved');
    const codesMessage = discord
      .seenBy(alice, server, afterCode)
      .find((message) => message.content.startsWith('Two-step verification is now ON')) as StoredMessage;
    expect(codesMessage.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    const recoveryCodes = codesMessage.content.match(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}$/gm) ?? [];
    expect(recoveryCodes).toHaveLength(10);
    for (const recoveryCode of recoveryCodes) w.secrets.add(recoveryCode);
    expect((await w.account()).twoFactor.enabled).toBe(true);
    const done = mark(w);
    press(w, alice, askSaved, 'twofa.choiceSaved');
    await shows(w, alice, server, 'twofa.enabledDone', undefined, done);
    expectAllEphemeral(w, alice);
    expectNoSecretInLogs(w);
  });

  it("/cancel stops the task and changes nothing; the old prompt's buttons are then refused with where the conversation is", async () => {
    const w = await world();
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'password');
    const askCurrent = await shows(w, alice, server, 'password.askCurrent');
    const askNew = await answerInForm(w, alice, server, askCurrent, [PASSWORD], 'password.askNew');
    let since = mark(w);
    discord.slash(alice, server, 'cancel');
    await shows(w, alice, server, 'common.cancelled', undefined, since);
    since = mark(w);
    const press1 = discord.press(alice, askNew, buttonId(askNew, t('en', 'discord.formButton')));
    await shows(w, alice, server, 'discord.staleNothing', undefined, since);
    // Refused instead of opening a form.
    expect(press1.callback?.type).not.toBe(CALLBACK.Modal);
    expect(await argon2.verify((await w.account()).passwordHash, PASSWORD)).toBe(true);
    expectAllEphemeral(w, alice);
  });

  it("refuses a button from an earlier step (and another user's) with where the conversation is now, changing nothing", async () => {
    const w = await world();
    const { discord, alice, bob } = w;
    discord.slash(alice, 'dm', 'phone');
    const intro = await shows(w, alice, 'dm', 'phone.intro', { phone: PHONE_MASKED });
    const emailChoice = buttonId(intro, t('en', 'codes.choiceEmail', { to: 'a***@example.com' }));
    let since = mark(w);
    press(w, alice, intro, 'codes.choicePhone', { to: PHONE_MASKED });
    const askOld = await shows(w, alice, 'dm', 'codes.askCode', { to: PHONE_MASKED }, since);
    const sent = w.delivery.sent.length;

    // The intro's other button, pressed late (its message lost its buttons, but an old client may show them).
    since = mark(w);
    discord.press(alice, intro, emailChoice, { force: true });
    await shows(w, alice, 'dm', 'discord.staleButton', undefined, since);
    const again = await shows(w, alice, 'dm', 'codes.askCode', { to: PHONE_MASKED }, since);
    expect(w.delivery.sent.length).toBe(sent);
    // The conversation is still at the code: the prompt drawn again carries the current step's buttons.
    expect(buttonsOf(again).map((button) => button.custom_id)).toEqual(
      buttonsOf(askOld).map((button) => button.custom_id),
    );

    // Bob sends alice's current button from the server: answered with his own conversation (nothing is
    // waiting there), and alice's step and message are untouched.
    since = mark(w);
    discord.press(bob, askOld, buttonId(askOld, t('en', 'discord.formButton')), {
      force: true,
      where: w.server,
    });
    const refused = await shows(w, bob, w.server, 'discord.staleNothing', undefined, since);
    expect(refused.visibleTo).toBe(bob.user.id);
    expect(buttonsOf(discord.message(askOld.id))).toEqual(buttonsOf(again));
    await answerInForm(w, alice, 'dm', askOld, [codeSentTo(w, PHONE)], 'phone.askNew');
    expectNoSecretInLogs(w);
  });

  it('never uses a password typed as a DM message: it cannot be deleted there, so the user is asked to delete it and change it', async () => {
    const w = await world();
    const { discord, alice } = w;
    discord.slash(alice, 'dm', 'password');
    await shows(w, alice, 'dm', 'password.askCurrent');
    const since = mark(w);
    const typed = discord.say(alice, 'dm', PASSWORD);
    await shows(w, alice, 'dm', 'discord.secretInDm', undefined, since);
    await shows(w, alice, 'dm', 'discord.secretChangeIt', undefined, since);
    const again = await shows(w, alice, 'dm', 'password.askCurrent', undefined, since);
    expect(typed.deleted).toBe(false);
    expect(discord.callsTo('DELETE /channels/:channel/messages/:message')).toEqual([]);
    // The flow never saw it: no password check, and the form still answers the same step.
    const events = await w.services.accounts.events(w.accountId);
    expect(JSON.stringify(events)).not.toContain('password.wrong');
    await answerInForm(w, alice, 'dm', again, [PASSWORD], 'password.askNew');
    expectNoSecretInLogs(w);
  });

  it('deletes a password typed into a server channel (Manage Messages) and tells the user why in their DM', async () => {
    const w = await world({ bot: { readServerMessages: true } });
    const { discord, alice, server } = w;
    expect(discord.identifies[0]?.intents).toBe(
      INTENTS.Guilds | INTENTS.DirectMessages | INTENTS.GuildMessages,
    );
    discord.slash(alice, server, 'password');
    await shows(w, alice, server, 'password.askCurrent');
    const since = mark(w);
    const typed = discord.say(alice, server, PASSWORD, { mention: true });
    await shows(w, alice, 'dm', 'discord.secretDeletedServer', undefined, since);
    await shows(w, alice, 'dm', 'discord.secretChangeIt', undefined, since);
    expect(discord.message(typed.id).deleted).toBe(true);
    expect(discord.callsTo('DELETE /channels/:channel/messages/:message').map((call) => call.status)).toEqual(
      [204],
    );
    // Not used: no password was checked.
    expect(JSON.stringify(await w.services.accounts.events(w.accountId))).not.toContain('password.wrong');
    expectNoSecretInLogs(w);
  });

  it('without Manage Messages the typed password stays, the user is told to delete it; with the default intents no server message arrives at all', async () => {
    const w = await world({ bot: { readServerMessages: true }, manageMessages: false });
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'password');
    await shows(w, alice, server, 'password.askCurrent');
    const since = mark(w);
    const typed = discord.say(alice, server, PASSWORD, { mention: true });
    await shows(w, alice, 'dm', 'discord.secretNotDeletedServer', undefined, since);
    expect(discord.message(typed.id).deleted).toBe(false);
    expect(discord.callsTo('DELETE /channels/:channel/messages/:message').map((call) => call.status)).toEqual(
      [403],
    );

    const plain = await world();
    plain.discord.say(plain.alice, plain.server, PASSWORD, { mention: true });
    expect(plain.discord.frames.some((frame) => frame.t === 'MESSAGE_CREATE')).toBe(false);
    expectNoSecretInLogs(w);
  });

  it('defers a slow step ephemerally within 3 s, then fills the deferred answer', async () => {
    const w = await world({ delivery: (recording) => slow(recording, 2_500) });
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'phone');
    const intro = await shows(w, alice, server, 'phone.intro', { phone: PHONE_MASKED });
    // The choice sends a code through the slow gateway.
    const since = mark(w);
    const pressed = press(w, alice, intro, 'codes.choicePhone', { to: PHONE_MASKED });
    await shows(w, alice, server, 'codes.askCode', { to: PHONE_MASKED }, since);
    expect(pressed.callback?.type).toBe(CALLBACK.DeferredChannelMessage);
    expect(Number(pressed.callback?.data.flags) & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    expect(pressed.callback?.afterMs).toBeGreaterThan(1_000);
    expect(pressed.callback?.afterMs).toBeLessThan(3_000);
    const edits = discord.callsTo('PATCH /webhooks/:app/:token/messages/:message');
    expect(edits.map((call) => call.path.endsWith('/@original'))).toContain(true);
    const original = discord.message(pressed.originalMessageId ?? '');
    expect(original.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    expect(original.flags & FLAGS.Loading).toBe(0);
    expect(original.content).not.toBe('');
    expect(pressed.refused).toEqual([]);
  });

  it('answers in the DM once the interaction token has expired', async () => {
    const w = await world({
      delivery: (recording) => slow(recording, 2_500),
      discord: { tokenLifetimeMs: 2_400 },
      bot: { tokenLifetimeMs: 2_400 },
    });
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'phone');
    const intro = await shows(w, alice, server, 'phone.intro', { phone: PHONE_MASKED });
    const since = mark(w);
    press(w, alice, intro, 'codes.choicePhone', { to: PHONE_MASKED });
    await shows(w, alice, 'dm', 'discord.lateReply', undefined, since);
    const askCode = await shows(w, alice, 'dm', 'codes.askCode', { to: PHONE_MASKED }, since);
    // The code prompt's form works from the DM: its buttons belong to the server conversation's step.
    await answerInForm(w, alice, 'dm', askCode, [codeSentTo(w, PHONE)], 'phone.askNew');
    expectNoSecretInLogs(w);
  });

  it('resumes the gateway session after a disconnect mid-task and goes on with the task', async () => {
    const w = await world();
    const { discord, alice, bot } = w;
    const resumed = new Promise<void>((resolve) => bot.client.once(Events.ShardResume, () => resolve()));
    discord.slash(alice, 'dm', 'password');
    const askCurrent = await shows(w, alice, 'dm', 'password.askCurrent');
    const lastSeq = Math.max(
      ...discord.frames.filter((frame) => frame.s !== undefined).map((frame) => frame.s ?? 0),
    );
    discord.disconnect(4000);
    expect(discord.connected).toBe(false);
    // Pressed while the bot is away: Discord keeps the event for the session.
    const opened = discord.press(alice, askCurrent, buttonId(askCurrent, t('en', 'discord.formButton')));
    await answered(w, opened);
    await resumed;
    expect(opened.callback?.type).toBe(CALLBACK.Modal);
    expect(discord.identifies).toHaveLength(1);
    expect(discord.resumes).toEqual([{ session_id: expect.stringMatching(/^session-/), seq: lastSeq }]);
    expect(discord.connections.map((connection) => connection.path)).toEqual(['/', '/resume']);
    expect(discord.frames.some((frame) => frame.t === 'RESUMED')).toBe(true);
    const since = mark(w);
    discord.submit(alice, opened, [PASSWORD]);
    await shows(w, alice, 'dm', 'password.askNew', undefined, since);
    expectNoSecretInLogs(w);
  });

  it('applies a redelivered form once (the second delivery changes nothing)', async () => {
    const w = await world();
    const { discord, alice } = w;
    discord.slash(alice, 'dm', 'password');
    const askCurrent = await shows(w, alice, 'dm', 'password.askCurrent');
    const opened = await openForm(w, alice, askCurrent);
    const since = mark(w);
    const submitted = discord.submit(alice, opened, ['Not-The-Password-1']);
    // Whatever the wording, the flow answers the wrong password with a new prompt.
    await discord.waitFor(
      () => discord.seenBy(alice, 'dm', since).find((message) => buttonsOf(message).length > 0),
      STEP_MS,
      'the answer to a wrong password',
    );
    w.secrets.add('Not-The-Password-1');
    const after = mark(w);
    discord.redeliver(submitted);
    await discord.waitFor(() => submitted.refused.length > 0, STEP_MS, 'the second answer to be refused');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(discord.seenBy(alice, 'dm', after)).toEqual([]);
    const wrong = (await w.services.accounts.events(w.accountId)).filter(
      (event) => event.type === 'password.wrong',
    );
    expect(wrong).toHaveLength(1);
    expectNoSecretInLogs(w);
  });

  it('pushes out-of-turn replies of a server conversation to the DM; with closed DMs they are shown in the server next time, ephemerally', async () => {
    const w = await world({ flowIdleMs: 1_000 });
    const { discord, alice, server, engine } = w;
    discord.slash(alice, server, 'password');
    await shows(w, alice, server, 'password.askCurrent');
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await engine.expireIdle()).toBe(1);
    const expired = await shows(w, alice, 'dm', 'common.expired', {
      flow: t('en', 'password.title'),
      minutes: 0,
    });
    expect(expired.flags & FLAGS.Ephemeral).toBe(0);

    alice.dmsOpen = false;
    discord.slash(alice, server, 'password');
    await shows(w, alice, server, 'password.askCurrent', undefined, mark(w) - 1);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await engine.expireIdle()).toBe(1);
    const since = mark(w);
    discord.slash(alice, server, 'security');
    await shows(w, alice, server, 'discord.dmClosed', undefined, since);
    await shows(w, alice, server, 'common.expired', { flow: t('en', 'password.title'), minutes: 0 }, since);
    await shows(w, alice, server, 'common.menu', undefined, since);
    expectAllEphemeral(w, alice);
  });

  it('continues a task in the DM with startIn when a reply offers it; closed DMs are said in the server, ephemerally', async () => {
    const offer: FlowDefinition = {
      id: 'offer-private',
      version: 1,
      command: 'private_demo',
      title: 'password.title',
      audience: 'any',
      privateOnly: false,
      machine: setup({
        types: {
          input: {} as FlowInput,
          events: {} as FlowEvent,
          emitted: {} as ReplyEvent,
          output: {} as FlowOutput,
        },
      }).createMachine({
        id: 'offer-private',
        initial: 'offer',
        output: () => ({}),
        states: {
          offer: {
            entry: emit({
              type: 'reply',
              key: 'common.privateOnly',
              params: { command: 'password' },
              continuePrivately: true,
            } as const),
            always: 'done',
          },
          done: { type: 'final' },
        },
      }),
    };
    const w = await world({ extraFlows: [offer] });
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'private_demo');
    const offered = await shows(w, alice, server, 'common.privateOnly', { command: 'password' });
    let since = mark(w);
    press(w, alice, offered, 'discord.continueInDm');
    await shows(w, alice, server, 'discord.movedToDm', undefined, since);
    await shows(w, alice, 'dm', 'discord.dmHello', undefined, since);
    const askCurrent = await shows(w, alice, 'dm', 'password.askCurrent', undefined, since);
    expect(askCurrent.flags & FLAGS.Ephemeral).toBe(0);
    await answerInForm(w, alice, 'dm', askCurrent, [PASSWORD], 'password.askNew');

    const bob = w.bob;
    bob.dmsOpen = false;
    discord.slash(bob, server, 'private_demo');
    const offeredToBob = await shows(w, bob, server, 'common.privateOnly', { command: 'password' });
    since = mark(w);
    press(w, bob, offeredToBob, 'discord.continueInDm');
    const closed = await shows(w, bob, server, 'discord.dmClosedStart', undefined, since);
    expect(closed.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    expectNoSecretInLogs(w);
  });

  it('answers an error inside one interaction with a friendly ephemeral message and logs it without what was typed', async () => {
    let failing = false;
    const w = await world({
      adapterKv: (kv: Kv): Kv =>
        new Proxy(kv, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (name === 'get' && typeof value === 'function') {
              return (key: string) => {
                if (failing) return Promise.reject(new Error('connection lost'));
                return (value as Kv['get']).call(target, key);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'password');
    const askCurrent = await shows(w, alice, server, 'password.askCurrent');
    const opened = await openForm(w, alice, askCurrent);
    failing = true;
    const since = mark(w);
    discord.submit(alice, opened, [PASSWORD]);
    const sorry = await shows(w, alice, server, 'common.internalError', undefined, since);
    expect(sorry.flags & FLAGS.Ephemeral).toBe(FLAGS.Ephemeral);
    expect(w.logs.some((entry) => entry.msg === 'discord interaction failed')).toBe(true);
    failing = false;
    // Nothing was read: the same form still answers the same step.
    const retry = await openForm(w, alice, askCurrent);
    const after = mark(w);
    discord.submit(alice, retry, [PASSWORD]);
    await shows(w, alice, server, 'password.askNew', undefined, after);
    expectNoSecretInLogs(w);
  });

  it("runs /recover code:<code> as the engine's deep link, and /help, ephemerally in a server", async () => {
    const w = await world();
    const { discord, alice, server } = w;
    discord.slash(alice, server, 'recover', { code: 'not-a-real-code' });
    const unknown = await shows(w, alice, server, 'common.startPayloadUnknown');
    expect(unknown.visibleTo).toBe(alice.user.id);
    const since = mark(w);
    discord.slash(alice, server, 'recover', { code: 'password' });
    await shows(w, alice, server, 'password.askCurrent', undefined, since);
    discord.slash(alice, server, 'help');
    await shows(w, alice, server, 'common.help', undefined, since);
    expectAllEphemeral(w, alice);
  });
});
