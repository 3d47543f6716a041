/**
 * The link-account flow end to end: the real Engine and services on an in-memory store with a manual clock,
 * a recording SMS/email provider. The seeded account is linked to user u1; the chats here are other users'.
 */
import { describe, expect, it } from 'vitest';
import { FIELD_MAX, type SecondFactorResult } from '../../flows/ports.ts';
import { t } from '../../src/catalog/catalog.ts';
import { CODE_TTL_MS, MAX_WRONG_TRIES } from '../../src/codes/code-service.ts';
import type { Reply } from '../../src/engine/reply.ts';
import {
  LINK_ATTEMPT_WINDOW_MS,
  LINK_ATTEMPTS_PER_CHAT,
  LINK_ATTEMPTS_PER_DESTINATION,
} from '../../src/linking/link-service.ts';
import type { SecondFactorChecker } from '../../src/services.ts';
import { type ChatDriver, createFlowHarness, type FlowHarness, keys } from '../helpers/flow-harness.ts';

const MINUTE = 60_000;
/** Valid mobile numbers no account uses. */
const UNKNOWN_PHONE = '+8613900139000';
const UNKNOWN_EMAIL = 'nobody@example.org';
const CODE_FIELD = { label: 'field.code', maxLength: FIELD_MAX.code };
const APP_CODE_FIELD = { label: 'field.appCode', maxLength: FIELD_MAX.code };

function wrongCode(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

/** A chat of a user whose identity is not linked to any account. */
function stranger(h: FlowHarness, userId = 'u2'): ChatDriver {
  return h.chat(`chat-${userId}`, { userId });
}

async function linkedAccountId(h: FlowHarness, userId: string): Promise<string | null> {
  return (await h.services.accounts.findByLink('console', userId))?.id ?? null;
}

/** The text a user reads, with one destination written as `<to>` so two runs can be compared. */
function rendered(replies: readonly Reply[], destination: string): string[] {
  return replies.map((r) => t('en', r.key, r.params).split(destination).join('<to>'));
}

/** A second-factor checker for tests: 111111 is right, 999999 means "too many", anything else is wrong. */
function fakeSecondFactor(): SecondFactorChecker & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async check(accountId, code): Promise<SecondFactorResult> {
      calls.push(accountId);
      if (code === '111111') return { ok: true, method: 'totp' };
      if (code === '999999') return { ok: false, reason: 'tooMany' };
      return { ok: false, reason: 'wrong', remaining: 3 };
    },
  };
}

describe('link account: proving the account with a code', () => {
  it('offers "Link your account" in the menu of a chat that is not linked, and nothing that needs a link', async () => {
    const h = await createFlowHarness();
    const [menu] = await stranger(h).command('menu');
    expect(menu?.key).toBe('common.menu');
    // Choosing the language needs no link either.
    expect(menu?.choices?.map((c) => c.value)).toEqual(['menu:link-account', 'menu:language']);
    expect(t('en', menu?.choices?.[0]?.label ?? 'common.menu')).toBe('Link your account');
  });

  it('links the chat when the code sent to the phone is typed, records the event and notifies phone and email', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);

    expect(await chat.command('link')).toEqual([
      {
        key: 'link.askDestination',
        input: 'text',
        field: { label: 'link.field', maxLength: FIELD_MAX.email },
      },
    ]);
    expect(await chat.text('+86 138 0013 8000')).toEqual([
      { key: 'link.codeSent', params: { to: '+86 138 0013 8000' } },
      {
        key: 'link.askCode',
        params: { to: '+86 138 0013 8000' },
        input: 'secret',
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'codes.choiceResend' },
          { value: 'other', label: 'link.choiceOther' },
        ],
      },
    ]);
    const [message] = h.delivery.to(h.phone);
    expect(message?.text).toContain('your code to link a chat to your account is');
    const code = h.delivery.lastCodeTo(h.phone);

    expect(await chat.text(code)).toEqual([
      { key: 'link.done' },
      expect.objectContaining({ key: 'checkup.offer' }),
    ]);
    expect(await linkedAccountId(h, 'u2')).toBe(h.accountId);
    // An account may have several chats: the seeded link of u1 is still there.
    expect((await h.account()).links.map((l) => l.userId)).toEqual(['u1', 'u2']);
    const events = await h.services.accounts.events(h.accountId);
    expect(events[0]).toMatchObject({ type: 'chat.linked', channel: 'console' });
    const sms = h.delivery.to(h.phone).at(-1);
    expect(sms?.text).toBe(t('en', 'link.noticeSms', { channel: 'console' }));
    const email = h.delivery.to(h.email ?? '').at(-1);
    expect(email?.subject).toBe(t('en', 'link.noticeEmailSubject'));
    expect(email?.text).toContain('A console chat was linked to your lockstep account');
    // The link task is over: the chat only holds the checkup's offer, and "Not now" leaves nothing behind.
    expect(JSON.parse((await chat.storedSession()) ?? '{}')).toMatchObject({ flow: { id: 'checkup' } });
    expect(keys(await chat.choose('later'))).toEqual(['checkup.later']);
    expect(await chat.storedSession()).toBeNull();
  });

  it('links by email address, whatever its letter case', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    expect(await chat.text('  Alice@EXAMPLE.com ')).toMatchObject([
      { key: 'link.codeSent', params: { to: 'alice@example.com' } },
      { key: 'link.askCode' },
    ]);
    expect(h.delivery.to(h.phone)).toEqual([]);
    expect(keys(await chat.text(h.delivery.lastCodeTo('alice@example.com')))).toEqual([
      'link.done',
      'checkup.offer',
    ]);
    expect(await linkedAccountId(h, 'u2')).toBe(h.accountId);
  });

  it('shows the linked menu after linking', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    await chat.text(h.delivery.lastCodeTo(h.phone));
    const [menu] = await chat.command('menu');
    const values = menu?.choices?.map((c) => c.value) ?? [];
    expect(values).toContain('menu:change-password');
    expect(values).toContain('menu:change-phone');
    expect(values.at(-1)).toBe('menu:unlink-account');
    expect(values).not.toContain('menu:link-account');
  });

  it('keeps no typed code in any stored session', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    const code = h.delivery.lastCodeTo(h.phone);
    await chat.text(wrongCode(code));
    await chat.text(code);
    for (const typed of [code, wrongCode(code)]) expect(h.kv.writesContaining(`"${typed}"`)).toEqual([]);
  });
});

describe('link account: nobody can find out which numbers and addresses are registered', () => {
  it('answers an unknown phone number word for word like a known one, and sends nothing', async () => {
    const h = await createFlowHarness();
    const known = stranger(h, 'u2');
    const unknown = stranger(h, 'u3');
    await known.command('link');
    await unknown.command('link');

    const knownReplies = await known.text(h.phone);
    const sentBefore = h.delivery.sent.length;
    const unknownReplies = await unknown.text(UNKNOWN_PHONE);
    expect(h.delivery.sent.length).toBe(sentBefore);
    expect(h.delivery.refused).toEqual([]);
    expect(rendered(unknownReplies, '+86 139 0013 9000')).toEqual(
      rendered(knownReplies, '+86 138 0013 8000'),
    );
    expect(t('en', 'link.codeSent', { to: '+86 139 0013 9000' })).toBe(
      'If an account uses +86 139 0013 9000, I sent a 6-digit code there. It is valid for 10 minutes.',
    );

    // Any code typed is then just wrong, with the same count of tries, until the code is used up.
    const code = h.delivery.lastCodeTo(h.phone);
    for (let i = 1; i < MAX_WRONG_TRIES; i += 1) {
      const a = await known.text(wrongCode(code, i));
      const b = await unknown.text(wrongCode(code, i));
      expect(rendered(b, '+86 139 0013 9000')).toEqual(rendered(a, '+86 138 0013 8000'));
      expect(a[0]).toEqual({ key: 'codes.wrong', params: { remaining: MAX_WRONG_TRIES - i } });
    }
    const lastKnown = await known.text(wrongCode(code, 99));
    const lastUnknown = await unknown.text(code);
    expect(keys(lastKnown)).toEqual(['codes.exhausted', 'link.askDestinationAgain']);
    expect(keys(lastUnknown)).toEqual(keys(lastKnown));
    expect(await linkedAccountId(h, 'u3')).toBeNull();
    expect(h.delivery.sent.length).toBe(sentBefore);
  });

  it('answers an unknown email address like a known one, and sends nothing', async () => {
    const h = await createFlowHarness();
    const known = stranger(h, 'u2');
    const unknown = stranger(h, 'u3');
    await known.command('link');
    await unknown.command('link');
    const knownReplies = await known.text(h.email ?? '');
    const sentBefore = h.delivery.sent.length;
    const unknownReplies = await unknown.text(UNKNOWN_EMAIL);
    expect(h.delivery.sent.length).toBe(sentBefore);
    expect(rendered(unknownReplies, UNKNOWN_EMAIL)).toEqual(rendered(knownReplies, h.email ?? ''));
    expect(keys(await unknown.text('123456'))).toEqual(['codes.wrong', 'link.askCode']);
  });

  it('does the same store work for an unknown destination as for a known one', async () => {
    const h = await createFlowHarness();
    const known = stranger(h, 'u2');
    const unknown = stranger(h, 'u3');
    await known.command('link');
    await unknown.command('link');
    const writesOf = async (chat: ChatDriver, destination: string) => {
      const before = h.kv.writes.length;
      await chat.text(destination);
      // The known branch also appends a "code sent" event to the account's log.
      return h.kv.writes.slice(before).filter((w) => w.op !== 'append').length;
    };
    expect(await writesOf(unknown, UNKNOWN_PHONE)).toBe(await writesOf(known, h.phone));
  });

  it('holds back the answer for an unknown destination about as long as a real delivery takes', async () => {
    const h = await createFlowHarness();
    const send = h.delivery.send.bind(h.delivery);
    h.delivery.send = async (message) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return send(message);
    };
    const known = stranger(h, 'u2');
    const unknown = stranger(h, 'u3');
    await known.command('link');
    await unknown.command('link');
    let started = performance.now();
    await known.text(h.phone);
    const knownMs = performance.now() - started;
    started = performance.now();
    await unknown.text(UNKNOWN_PHONE);
    const unknownMs = performance.now() - started;
    expect(knownMs).toBeGreaterThanOrEqual(200);
    expect(unknownMs).toBeGreaterThanOrEqual(180);
  });
});

describe('link account: wrong input', () => {
  it('refuses a national number without a country code, and text that is neither a number nor an address', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    expect(keys(await chat.text('138 0013 8000'))).toEqual([
      'link.needCountryCode',
      'link.askDestinationAgain',
    ]);
    expect(keys(await chat.text('hello there'))).toEqual(['link.badDestination', 'link.askDestinationAgain']);
    expect(keys(await chat.text('alice@'))).toEqual(['link.badDestination', 'link.askDestinationAgain']);
    expect(keys(await chat.text('+86 123'))).toEqual(['link.badDestination', 'link.askDestinationAgain']);
    expect(h.delivery.sent).toEqual([]);
    // 00 is read as the international prefix.
    expect(keys(await chat.text('0086 138 0013 8000'))).toEqual(['link.codeSent', 'link.askCode']);
    expect(h.delivery.to(h.phone)).toHaveLength(1);
  });

  it('rejects a wrong code, then a code typed after it expired, and links nothing', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    const code = h.delivery.lastCodeTo(h.phone);
    expect(await chat.text(wrongCode(code))).toMatchObject([
      { key: 'codes.wrong', params: { remaining: MAX_WRONG_TRIES - 1 } },
      { key: 'link.askCode' },
    ]);
    expect(keys(await chat.text('12 34'))).toEqual(['codes.format', 'link.askCode']);
    h.clock.advance(CODE_TTL_MS + 1);
    expect(keys(await chat.text(code))).toEqual(['codes.expired', 'link.askDestinationAgain']);
    expect(await linkedAccountId(h, 'u2')).toBeNull();
    // A new code works.
    await chat.text(h.phone);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['link.done', 'checkup.offer']);
  });

  it('lets the user pick another phone or email, and asks to wait before sending a code again', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(UNKNOWN_PHONE);
    expect(keys(await chat.choose('other'))).toEqual(['link.askDestinationAgain']);
    await chat.text(h.phone);
    expect(await chat.choose('resend')).toMatchObject([{ key: 'codes.cooldown' }, { key: 'link.askCode' }]);
    h.clock.advance(MINUTE + 1);
    expect(keys(await chat.choose('resend'))).toEqual(['link.codeSent', 'link.askCode']);
    const codes = h.delivery.codesTo(h.phone);
    expect(codes).toHaveLength(2);
    // The newer code replaced the first one.
    if (codes[0] !== codes[1]) {
      expect(keys(await chat.text(codes[0] ?? ''))).toEqual(['codes.wrong', 'link.askCode']);
    }
    expect(keys(await chat.text(codes[1] ?? ''))).toEqual(['link.done', 'checkup.offer']);
  });

  it('says it could not send the code when the provider fails, and stays where it was', async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    h.delivery.failNext();
    expect(keys(await chat.text(h.phone))).toEqual(['codes.deliveryFailed', 'link.askDestinationAgain']);
    expect(await linkedAccountId(h, 'u2')).toBeNull();

    expect(keys(await chat.text(h.phone))).toEqual(['link.codeSent', 'link.askCode']);
    const code = h.delivery.lastCodeTo(h.phone);
    h.clock.advance(MINUTE + 1);
    h.delivery.failNext();
    // A failed resend keeps the code already out, and the prompt for it.
    expect(keys(await chat.choose('resend'))).toEqual(['codes.deliveryFailed', 'link.askCode']);
    expect(keys(await chat.text(code))).toEqual(['link.done', 'checkup.offer']);
  });
});

describe('link account: limits and refusals', () => {
  it(`stops after ${LINK_ATTEMPTS_PER_CHAT} attempts from one chat in an hour, and links nothing`, async () => {
    const h = await createFlowHarness();
    const chat = stranger(h);
    await chat.command('link');
    // 1 code asked for + 5 wrong codes = 6 attempts.
    await chat.text('+8613900139001');
    for (let i = 0; i < MAX_WRONG_TRIES; i += 1) await chat.text('000000');
    // 1 + 3 more = 10.
    await chat.text(h.phone);
    const code = h.delivery.lastCodeTo(h.phone);
    for (let i = 1; i <= 3; i += 1) await chat.text(wrongCode(code, i));
    // The 11th attempt is refused, even with the right code, and the flow ends.
    expect(await chat.text(code)).toEqual([{ key: 'link.tooMany' }]);
    expect(await chat.storedSession()).toBeNull();
    expect(await linkedAccountId(h, 'u2')).toBeNull();
    // Starting again does not help within the hour.
    await chat.command('link');
    expect(await chat.text('+8613900139002')).toEqual([{ key: 'link.tooMany' }]);
    // An hour later it works again.
    h.clock.advance(LINK_ATTEMPT_WINDOW_MS);
    await chat.command('link');
    await chat.text(h.phone);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['link.done', 'checkup.offer']);
  });

  it(`stops after ${LINK_ATTEMPTS_PER_DESTINATION} attempts on one phone number in an hour, from any chats`, async () => {
    const h = await createFlowHarness();
    const first = stranger(h, 'u2');
    await first.command('link');
    await first.text(h.phone);
    const code = h.delivery.lastCodeTo(h.phone);
    for (let i = 1; i <= MAX_WRONG_TRIES; i += 1) await first.text(wrongCode(code, i));
    // 6 attempts on the number so far; another chat makes 4 more.
    h.clock.advance(MINUTE + 1);
    const second = stranger(h, 'u3');
    await second.command('link');
    await second.text(h.phone);
    const next = h.delivery.lastCodeTo(h.phone);
    for (let i = 1; i <= 3; i += 1) await second.text(wrongCode(next, i));
    expect(await second.text(next)).toEqual([{ key: 'link.tooMany' }]);
    // A third chat cannot even ask for a code to that number, but can for another one.
    const third = stranger(h, 'u4');
    await third.command('link');
    expect(await third.text(h.phone)).toEqual([{ key: 'link.tooMany' }]);
    await third.command('link');
    expect(keys(await third.text(UNKNOWN_PHONE))).toEqual(['link.codeSent', 'link.askCode']);
    expect(await linkedAccountId(h, 'u3')).toBeNull();
  });

  it('refuses to start in a chat that is already linked', async () => {
    const h = await createFlowHarness();
    expect(await h.chat().command('link')).toEqual([{ key: 'link.alreadyLinked' }]);
    expect(h.delivery.sent).toEqual([]);
  });

  it('refuses to link an identity that got linked to another account in the meantime, and moves nothing', async () => {
    const h = await createFlowHarness();
    const other = await h.services.accounts.create({
      phone: '+8613700137000',
      email: null,
      passwordHash: 'x',
      now: h.clock.now(),
    });
    if (!other.ok) throw new Error(other.reason);
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    await h.services.accounts.link(other.account.id, 'console', 'u2', h.clock.now());
    expect(await chat.text(h.delivery.lastCodeTo(h.phone))).toEqual([{ key: 'link.alreadyLinked' }]);
    expect(await linkedAccountId(h, 'u2')).toBe(other.account.id);
    expect((await h.account()).links.map((l) => l.userId)).toEqual(['u1']);
    expect((await h.services.accounts.events(h.accountId)).map((e) => e.type)).not.toContain('chat.linked');
  });
});

describe('link account: two-step verification', () => {
  it('asks for the authenticator code after the right code, and links only when it is right', async () => {
    const secondFactor = fakeSecondFactor();
    const h = await createFlowHarness({ twoFactor: true, secondFactor });
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    expect(await chat.text(h.delivery.lastCodeTo(h.phone))).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(await linkedAccountId(h, 'u2')).toBeNull();
    expect(await chat.text('222222')).toEqual([
      { key: 'twofa.wrong', params: { remaining: 3 }, input: 'secret', field: APP_CODE_FIELD },
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: APP_CODE_FIELD,
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    expect(await linkedAccountId(h, 'u2')).toBeNull();
    expect(await chat.text('111111')).toEqual([
      { key: 'link.done' },
      expect.objectContaining({ key: 'checkup.offer' }),
    ]);
    expect(secondFactor.calls).toEqual([h.accountId, h.accountId]);
    expect(await linkedAccountId(h, 'u2')).toBe(h.accountId);
    expect(h.kv.writesContaining('"111111"')).toEqual([]);
  });

  it('stops when the second factor was wrong too often, and links nothing', async () => {
    const h = await createFlowHarness({ twoFactor: true, secondFactor: fakeSecondFactor() });
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    await chat.text(h.delivery.lastCodeTo(h.phone));
    expect(await chat.text('999999')).toEqual([
      { key: 'twofa.tooMany', input: 'choice', choices: [{ value: 'support', label: 'support.choiceTalk' }] },
    ]);
    expect(await linkedAccountId(h, 'u2')).toBeNull();
    expect(await chat.storedSession()).toBeNull();
  });

  it('does not ask for a second factor when the account has none', async () => {
    const secondFactor = fakeSecondFactor();
    const h = await createFlowHarness({ secondFactor });
    const chat = stranger(h);
    await chat.command('link');
    await chat.text(h.phone);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['link.done', 'checkup.offer']);
    expect(secondFactor.calls).toEqual([]);
  });
});
