/**
 * A handoff end to end on Telegram: an agent makes a handoff over real HTTP, a user who lost their phone
 * opens `t.me/<bot>?start=<code>` in a chat that is not linked yet (the grammY bot long-polling a local
 * Bot API stand-in), proves it is them through the account's email, the chat is linked, the phone task
 * runs to its end, and the handoff goes pending -> opened -> completed: on the API and on the signed
 * webhook, checked as a receiver would. No secret ever reaches the agent.
 */
import type { Chat, InlineKeyboardMarkup } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../adapters/telegram/bot.ts';
import { type MessageKey, t } from '../../src/catalog/catalog.ts';
import { verifyWebhookSignature } from '../../src/delivery/signed-webhook.ts';
import { connectRedis } from '../helpers/redis.ts';
import { type ApiCall, type FakePerson, FakeTelegramApi } from '../helpers/telegram-api.ts';
import {
  BOT_USERNAME,
  createWorld,
  EMAIL,
  expectNoSecrets,
  OLD_WEBHOOK_SECRET,
  PHONE,
  WEBHOOK_SECRET,
  type World,
} from './world.ts';

const redis = connectRedis();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const STEP_MS = 10_000;
const NEW_PHONE = '+8613900139000';

/** The text of a message key up to its first placeholder (enough to recognise it). */
const stem = (key: MessageKey) => t('en', key).split('{')[0] ?? '';

function shownText(call: ApiCall): string {
  return String(call.params.text ?? call.params.caption ?? '');
}

function shows(api: FakeTelegramApi, chat: Chat, key: MessageKey, since: number): Promise<ApiCall> {
  return api.waitFor(
    (call) =>
      call.index >= since &&
      call.method === 'sendMessage' &&
      call.params.chat_id === chat.id &&
      shownText(call).startsWith(stem(key)),
    STEP_MS,
  );
}

function press(api: FakeTelegramApi, person: FakePerson, call: ApiCall, label: string): void {
  const keyboard = (call.params.reply_markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
  const button = keyboard.flat().find((b) => b.text.startsWith(label));
  if (!button || !('callback_data' in button) || !button.callback_data)
    throw new Error(`no button "${label}" under "${shownText(call)}"`);
  api.userPresses(
    person.chat,
    person.user,
    (call.result as { message_id: number }).message_id,
    button.callback_data,
  );
}

async function telegramWorld(): Promise<{ w: World; api: FakeTelegramApi; bob: FakePerson }> {
  const w = await createWorld(redis);
  cleanups.push(() => w.close());
  const api = await FakeTelegramApi.start({
    token: '7000002:AAH-support-test-token_abcdefg',
    botUsername: BOT_USERNAME,
  });
  cleanups.push(() => api.close());
  const telegram = createTelegramBot({
    token: api.token,
    engine: w.engine,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    apiRoot: api.url,
    pollTimeoutSeconds: 1,
    retry: { maxRetryAttempts: 2, maxDelaySeconds: 2 },
  });
  w.routePush('telegram', telegram.pushSender);
  await telegram.start();
  cleanups.push(() => telegram.stop());
  return { w, api, bob: api.person(3001, 'Bob') };
}

describe('a handoff on Telegram', () => {
  it('hands a user who lost their phone into the phone task: verified by email, linked, completed, all on the webhook', async () => {
    const { w, api, bob } = await telegramWorld();
    const agent = await w.key(['handoff:write', 'handoff:read'], 'Agent Ada');
    const made = await w.api('POST', '/api/handoffs', {
      key: agent,
      body: { account: PHONE, flow: 'change-phone', note: 'lost phone' },
    });
    expect(made.status).toBe(201);
    const { id, code, telegramLink } = made.json;
    expect(telegramLink).toBe(`https://t.me/${BOT_USERNAME}?start=${code}`);

    // Opening the link sends "/start <code>" in the user's private chat.
    let since = api.calls.length;
    api.userSends(bob.chat, bob.user, `/start ${new URL(telegramLink).searchParams.get('start')}`);
    const opened = await shows(api, bob.chat, 'handoff.opened', since);
    expect(shownText(opened)).toContain(t('en', 'phone.title'));
    const pick = await shows(api, bob.chat, 'handoff.pickDestination', since);
    expect((await w.api('GET', `/api/handoffs/${id}`, { key: agent })).json.status).toBe('opened');

    // The phone is lost: a code to the email proves the chat belongs to the account.
    since = api.calls.length;
    press(api, bob, pick, stem('codes.choiceEmail'));
    await shows(api, bob.chat, 'codes.sent', since);
    const emailCode = w.delivery.lastCodeTo(EMAIL);
    w.secrets.add(emailCode);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, emailCode);
    await shows(api, bob.chat, 'handoff.linked', since);
    const intro = await shows(api, bob.chat, 'phone.intro', since);
    expect((await w.account()).links.map((link) => [link.channel, link.userId])).toEqual([
      ['telegram', String(bob.user.id)],
    ]);
    expect(
      api.isDeleted(bob.chat.id, api.callsOf('deleteMessage', since)[0]?.params.message_id as number),
    ).toBe(true);

    // The phone task proves it again (its own proof, for its own commit), by email again.
    since = api.calls.length;
    press(api, bob, intro, stem('codes.choiceEmail'));
    await shows(api, bob.chat, 'codes.sent', since);
    const secondCode = w.delivery.lastCodeTo(EMAIL);
    w.secrets.add(secondCode);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, secondCode);
    await shows(api, bob.chat, 'phone.askNew', since);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, '+86 139 0013 9000');
    await shows(api, bob.chat, 'phone.askNewCode', since);
    const newCode = w.delivery.lastCodeTo(NEW_PHONE);
    w.secrets.add(newCode);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, newCode);
    await shows(api, bob.chat, 'phone.changed', since);
    await shows(api, bob.chat, 'handoff.completed', since);
    expect((await w.account()).phone).toBe(NEW_PHONE);

    const shown = await w.api('GET', `/api/handoffs/${id}`, { key: agent });
    expect(shown.json).toMatchObject({ status: 'completed', openedIn: 'telegram', createdBy: 'Agent Ada' });
    expect(shown.json.timeline.map((entry: { status: string }) => entry.status)).toEqual([
      'pending',
      'opened',
      'completed',
    ]);

    // The webhook told each change; a receiver checks every delivery's signature, with either secret.
    await w.support.webhook.idle();
    expect(w.receiver.handoffStatuses(id)).toEqual(['pending', 'opened', 'completed']);
    const deliveries = w.receiver.accepted();
    for (const delivery of deliveries) {
      const timestamp = delivery.headers['x-lockstep-timestamp'] as string;
      const signature = delivery.headers['x-lockstep-signature'] as string;
      const nowMs = w.clock.now();
      expect(verifyWebhookSignature(WEBHOOK_SECRET, timestamp, delivery.raw, signature, { nowMs })).toBe(
        true,
      );
      expect(verifyWebhookSignature(OLD_WEBHOOK_SECRET, timestamp, delivery.raw, signature, { nowMs })).toBe(
        true,
      );
      expect(verifyWebhookSignature('x'.repeat(40), timestamp, delivery.raw, signature, { nowMs })).toBe(
        false,
      );
      expect(
        verifyWebhookSignature(WEBHOOK_SECRET, timestamp, `${delivery.raw} `, signature, { nowMs }),
      ).toBe(false);
      expect(delivery.headers['idempotency-key']).toBe(delivery.body.id);
      expect(delivery.headers['content-type']).toBe('application/json');
    }

    // The agent saw statuses only: no code typed in the chat is in any answer, delivery or audit entry.
    expectNoSecrets('the API answers', made.text + shown.text, w.secrets);
    expectNoSecrets('the webhook', deliveries.map((d) => d.raw).join('\n'), w.secrets);
    expectNoSecrets('the audit log', JSON.stringify(await w.support.audit.list({ limit: 500 })), w.secrets);
    const audit = (await w.support.audit.list({ target: id })).map((entry) => entry.action).reverse();
    expect(audit).toEqual(['handoff.created', 'handoff.opened', 'handoff.completed']);
    expect((await w.account()).phone).toBe(NEW_PHONE);
    expect(made.json.code).not.toBe(emailCode);
  });
});
