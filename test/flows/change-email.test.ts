/**
 * The add-or-change-email flow end to end: the real Engine and services on an in-memory store with a
 * manual clock, a recording SMS/email provider, and the real HTTP server (on a free port) for the
 * verification link. Every chat step goes through the engine, which persists the settled snapshot as JSON.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { FIELD_MAX, REAUTH_MAX_AGE_MS } from '../../flows/ports.ts';
import {
  ADDRESS_LOOKUPS_PER_HOUR,
  EMAIL_LINK_TTL_MS,
  NEW_EMAIL_CODE_PURPOSE,
} from '../../src/accounts/email-verification.ts';
import { MAX_WRONG_PASSWORDS } from '../../src/accounts/password-service.ts';
import { t } from '../../src/catalog/catalog.ts';
import { ManualClock } from '../../src/clock.ts';
import { CODE_TTL_MS, HOURLY_CAP, RESEND_COOLDOWN_MS } from '../../src/codes/code-service.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { OutgoingMessage } from '../../src/delivery/delivery.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { ChatRef, InputAction } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices, type Services } from '../../src/services.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import { RecordingKv } from '../helpers/backends.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { keys } from '../helpers/flow-harness.ts';
import { storedSessionJson } from '../helpers/stored.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

const SECRET_KEY = 'e'.repeat(32);
const PASSWORD = 'Lantern-Orchard-58';
const PHONE = '+8613800138000';
const OLD_EMAIL = 'alice@example.com';
const NEW_EMAIL = 'alice.new@example.org';
const LINK = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_-]+/;
const PASSWORD_FIELD = { label: 'field.password', maxLength: FIELD_MAX.password };
const CODE_FIELD = { label: 'field.code', maxLength: FIELD_MAX.code };
const EMAIL_FIELD = { label: 'field.email', maxLength: FIELD_MAX.email };

interface Pushed {
  readonly chat: ChatRef;
  readonly replies: readonly Reply[];
}

interface Driver {
  readonly ref: ChatRef;
  command(name: string, args?: string): Promise<Reply[]>;
  text(text: string): Promise<Reply[]>;
  choose(value: string): Promise<Reply[]>;
  storedSession(): Promise<string | null>;
}

interface World {
  readonly clock: ManualClock;
  readonly kv: RecordingKv;
  readonly delivery: RecordingDelivery;
  readonly services: Services;
  readonly engine: Engine;
  readonly pushed: Pushed[];
  readonly accountId: string;
  readonly typed: string[];
  readonly chat: Driver;
  /**
   * Opens a link like a browser would and, when it shows the confirm page (checked: 200, the button,
   * the token in a hidden field, and nothing changed yet), presses the button: status and title of the
   * page that follows. A malformed link gets no confirm page: its own status and title.
   */
  open(url: string): Promise<{ status: number; title: string }>;
  /** Only opens a link (GET), as a mail scanner would, without confirming: status and whether it is the confirm page. */
  scan(url: string): Promise<{ status: number; confirmPage: boolean }>;
  /** The latest link sent to `to`. */
  linkTo(to: string): string;
  email(): Promise<string | null>;
  /** The task id of the chat's running task (null: none). */
  taskId(): Promise<string | null>;
}

const servers: FastifyInstance[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

/**
 * An account (phone, optional email, password) linked to chat console/c1, the real engine with a
 * recording push sender, and the real HTTP server serving `/verify-email` for the services' links.
 */
async function setup(
  options: {
    email?: string | null;
    link?: boolean;
    pushSender?: boolean;
    twoFactor?: boolean;
    /** The engine's idle timeout (FLOW_IDLE_MINUTES); default 15 minutes. */
    flowIdleMs?: number;
  } = {},
): Promise<World> {
  const clock = new ManualClock();
  const kv = new RecordingKv(new MemoryKv(clock));
  const delivery = new RecordingDelivery();
  let redeem: (token: string) => Promise<'verified' | 'expired' | 'used' | 'invalid'> = async () => 'invalid';
  const http = createHttpServer({
    log: silentLogger,
    health: async () => ({ ok: true, checks: {} }),
    verifyEmail: (token) => redeem(token),
  });
  servers.push(http);
  await http.listen({ host: '127.0.0.1', port: 0 });
  const address = http.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;

  const services = createServices({
    kv,
    delivery,
    clock,
    log: silentLogger,
    secretKey: SECRET_KEY,
    ...(options.link === false ? {} : { publicUrl: `${base}/` }),
    ...(options.flowIdleMs === undefined ? {} : { flowIdleMs: options.flowIdleMs }),
  });
  const engine = createEngine(services);
  redeem = (token) => services.emailVerification.redeemLink(token, engine);
  const pushed: Pushed[] = [];
  if (options.pushSender !== false) {
    engine.setPushSender(async (chat, replies) => {
      pushed.push({ chat, replies: [...replies] });
    });
  }

  const email = options.email === undefined ? OLD_EMAIL : options.email;
  const created = await services.accounts.create({
    phone: PHONE,
    email,
    passwordHash: await services.hasher.hash(PASSWORD),
    now: clock.now(),
  });
  if (!created.ok) throw new Error(created.reason);
  const accountId = created.account.id;
  await services.accounts.link(accountId, 'console', 'u1', clock.now());

  const emailNow = async () => (await services.accounts.get(accountId))?.email ?? null;
  const typed: string[] = [];
  let updates = 0;
  const ref: ChatRef = { channel: 'console', chatId: 'c1' };
  const send = async (action: InputAction): Promise<Reply[]> => {
    if (action.type === 'text') typed.push(action.text);
    updates += 1;
    const result = await engine.handle({
      chat: ref,
      userId: 'u1',
      updateId: `up${updates}`,
      isPrivate: true,
      action,
    });
    return [...result.replies];
  };
  const chat: Driver = {
    ref,
    command: (name, args = '') => send({ type: 'command', command: name, args }),
    text: (text) => send({ type: 'text', text }),
    choose: (value) => send({ type: 'choice', value }),
    storedSession: async () => storedSessionJson(await kv.get(services.sessions.sessionKey(ref))),
  };

  return {
    clock,
    kv,
    delivery,
    services,
    engine,
    pushed,
    accountId,
    typed,
    chat,
    open: async (url) => {
      const titleOf = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
      const before = {
        email: await emailNow(),
        pushed: pushed.length,
        events: (await services.accounts.events(accountId)).length,
        writes: kv.writes.length,
      };
      const opened = await openVerifyLink(url);
      const token = new URL(url).searchParams.get('token') ?? '';
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
        expect(opened.isConfirmPage).toBe(false);
        return { status: opened.status, title: titleOf(opened.body) };
      }
      expect(opened.status).toBe(200);
      expect(opened.isConfirmPage).toBe(true);
      expect(opened.token).toBe(token);
      expect({
        email: await emailNow(),
        pushed: pushed.length,
        events: (await services.accounts.events(accountId)).length,
        writes: kv.writes.length,
      }).toEqual(before);
      const done = await opened.confirm();
      return { status: done.status, title: titleOf(done.body) };
    },
    scan: async (url) => {
      const opened = await openVerifyLink(url);
      return { status: opened.status, confirmPage: opened.isConfirmPage };
    },
    linkTo: (to) => {
      const link = delivery
        .to(to)
        .map((m) => LINK.exec(m.text)?.[0])
        .filter((hit) => hit !== undefined)
        .at(-1);
      if (!link) throw new Error(`no link was sent to ${to}`);
      return link;
    },
    email: emailNow,
    taskId: async () => {
      const raw = await chat.storedSession();
      return raw === null ? null : ((JSON.parse(raw) as { flow?: { taskId?: string } }).flow?.taskId ?? null);
    },
  };
}

/** Another 6-digit code than `code`. */
function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

const page = {
  verified: t('en', 'web.verified.title'),
  used: t('en', 'web.used.title'),
  expired: t('en', 'web.expired.title'),
  invalid: t('en', 'web.invalid.title'),
};

/** /email and the password: ends at the address prompt. */
async function proveWithPassword(w: World): Promise<void> {
  expect(keys(await w.chat.command('email'))).toEqual(['email.askPassword']);
  expect(keys(await w.chat.text(PASSWORD))).toEqual([
    (await w.email()) ? 'email.askAddressChange' : 'email.askAddressAdd',
  ]);
}

/** Proof, then the address: ends at the code prompt; returns the code that was sent. */
async function requestVerification(w: World, address = NEW_EMAIL): Promise<string> {
  await proveWithPassword(w);
  expect(keys(await w.chat.text(address))).toEqual(['email.sent']);
  return w.delivery.lastCodeTo(address.trim().toLowerCase());
}

async function eventTypes(w: World): Promise<string[]> {
  return (await w.services.accounts.events(w.accountId)).map((e) => e.type);
}

async function expectUnchanged(w: World, email: string | null = OLD_EMAIL): Promise<void> {
  expect(await w.email()).toBe(email);
  expect(await eventTypes(w)).not.toContain('email.changed');
  expect(w.delivery.sent.filter((m) => m.channel === 'sms' && m.text.includes('email address'))).toEqual([]);
}

function noticesTo(w: World, to: string): OutgoingMessage[] {
  return w.delivery.to(to).filter((m) => !LINK.test(m.text) && !/\d{6}/.test(m.text));
}

describe('add or change the email: the flow and its entry', () => {
  it('is in the menu of a linked chat as "Add or change my email" and starts with /email', async () => {
    const w = await setup();
    const menu = await w.chat.command('menu');
    const labels = (menu.at(-1)?.choices ?? []).map((c) => t('en', c.label, c.params));
    expect(labels).toContain('Add or change my email');
    expect(await w.chat.command('email')).toEqual([
      {
        key: 'email.askPassword',
        input: 'secret',
        field: PASSWORD_FIELD,
        choices: [{ value: 'forgot', label: 'prove.choiceForgot' }],
      },
    ]);
  });

  it('refuses to run outside a private chat', async () => {
    const w = await setup();
    const result = await w.engine.handle({
      chat: { channel: 'console', chatId: 'group' },
      userId: 'u1',
      isPrivate: false,
      action: { type: 'command', command: 'email', args: '' },
    });
    expect(keys([...result.replies])).toEqual(['common.privateOnly']);
  });
});

describe('add or change the email: with the code from the new address', () => {
  it('changes the email after the password and the code, notifies phone and old address, and retires the link', async () => {
    const w = await setup();
    await proveWithPassword(w);
    expect(await w.chat.text(NEW_EMAIL)).toEqual([
      {
        key: 'email.sent',
        params: { to: NEW_EMAIL },
        input: 'secret',
        field: CODE_FIELD,
        choices: [
          { value: 'resend', label: 'email.choiceResend' },
          { value: 'other', label: 'email.choiceOther' },
        ],
      },
    ]);
    await expectUnchanged(w);
    const code = w.delivery.lastCodeTo(NEW_EMAIL);
    const link = w.linkTo(NEW_EMAIL);

    expect(await w.chat.text(code)).toEqual([{ key: 'email.changed', params: { email: NEW_EMAIL } }]);
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(await w.services.accounts.findByEmail(NEW_EMAIL)).not.toBeNull();
    expect(await w.services.accounts.findByEmail(OLD_EMAIL)).toBeNull();
    expect(await w.chat.storedSession()).toBeNull();

    const [changed] = (await w.services.accounts.events(w.accountId)).filter(
      (e) => e.type === 'email.changed',
    );
    expect(changed).toMatchObject({
      type: 'email.changed',
      channel: 'console',
      detail: { via: 'code', to: 'a***@example.org', from: 'a***@example.com' },
    });
    expect(noticesTo(w, PHONE).map((m) => m.text)).toEqual([
      t('en', 'email.noticeSmsChanged', { email: 'a***@example.org' }),
    ]);
    expect(noticesTo(w, OLD_EMAIL)).toEqual([
      {
        channel: 'email',
        to: OLD_EMAIL,
        subject: t('en', 'email.noticeOldSubject'),
        text: t('en', 'email.noticeOldText', { email: 'a***@example.org' }),
      },
    ]);

    // The code did it: the link from the same message is spent.
    expect(await w.open(link)).toEqual({ status: 410, title: page.used });
    expect(w.pushed).toEqual([]);
  });

  it('adds an email to an account that had none after a code to the phone, notifying only the phone', async () => {
    const w = await setup({ email: null });
    expect(keys(await w.chat.command('email'))).toEqual(['email.askPassword']);
    expect(keys(await w.chat.choose('forgot'))).toEqual(['prove.pickDestination']);
    expect(keys(await w.chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const phoneCode = w.delivery.lastCodeTo(PHONE);
    expect(await w.chat.text(phoneCode)).toEqual([
      { key: 'email.askAddressAdd', input: 'text', field: EMAIL_FIELD },
    ]);
    expect(keys(await w.chat.text(NEW_EMAIL))).toEqual(['email.sent']);
    expect(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL))).toEqual([
      { key: 'email.added', params: { email: NEW_EMAIL } },
    ]);
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(noticesTo(w, PHONE).map((m) => m.text)).toEqual([
      t('en', 'email.noticeSmsAdded', { email: 'a***@example.org' }),
    ]);
    expect(w.delivery.sent.filter((m) => m.channel === 'email' && m.to !== NEW_EMAIL)).toEqual([]);
  });

  it('stores the address trimmed and lower-cased', async () => {
    const w = await setup();
    const code = await requestVerification(w, '  Alice.New@Example.ORG ');
    expect(w.delivery.sent.at(-1)?.to).toBe(NEW_EMAIL);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
    expect(await w.email()).toBe(NEW_EMAIL);
  });

  it('asks again after a wrong code, counting the tries down, and charges nothing for a malformed one', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    expect(await w.chat.text(wrongCode(code))).toEqual([
      { key: 'codes.wrong', params: { remaining: 4 } },
      expect.objectContaining({
        key: 'email.askCode',
        params: { to: NEW_EMAIL },
        input: 'secret',
        field: CODE_FIELD,
      }),
    ]);
    expect(keys(await w.chat.text('12 34'))).toEqual(['codes.format', 'email.askCode']);
    expect(keys(await w.chat.text(wrongCode(code)))).toEqual(['codes.wrong', 'email.askCode']);
    await expectUnchanged(w);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it('says the code expired after 10 minutes, and a new message brings a code that works', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    w.clock.advance(CODE_TTL_MS);
    // The proof is older than 5 minutes by now: prove it again first (the message stays valid).
    expect(keys(await w.chat.text(code))).toEqual(['email.reauthExpired', 'prove.askPassword']);
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askCode']);
    expect(keys(await w.chat.text(code))).toEqual(['email.codeExpired', 'email.askCode']);
    await expectUnchanged(w);
    expect(keys(await w.chat.choose('resend'))).toEqual(['email.sent']);
    const fresh = w.delivery.lastCodeTo(NEW_EMAIL);
    expect(fresh).not.toBe(code);
    expect(keys(await w.chat.text(fresh))).toEqual(['email.changed']);
  });

  it('kills the code after 5 wrong tries and offers a new message', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    for (let i = 0; i < 4; i += 1) await w.chat.text(wrongCode(code));
    expect(keys(await w.chat.text(wrongCode(code)))).toEqual(['email.codeExhausted', 'email.askCode']);
    expect(keys(await w.chat.text(code))).toEqual(['email.codeMissing', 'email.askCode']);
    await expectUnchanged(w);
  });

  it('refuses a new message within the cool-down and keeps the first one valid', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    expect(await w.chat.choose('resend')).toEqual([
      { key: 'codes.cooldown', params: { seconds: 60 } },
      expect.objectContaining({ key: 'email.askCode' }),
    ]);
    expect(w.delivery.to(NEW_EMAIL)).toHaveLength(1);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it(`stops sending after ${HOURLY_CAP} messages to one address in an hour, keeping the last one valid`, async () => {
    const w = await setup();
    await requestVerification(w);
    for (let i = 1; i < HOURLY_CAP; i += 1) {
      w.clock.advance(RESEND_COOLDOWN_MS);
      expect(keys(await w.chat.choose('resend'))).toEqual(['email.sent']);
    }
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await w.chat.choose('resend'))).toEqual(['codes.hourlyCap', 'email.askCode']);
    expect(w.delivery.to(NEW_EMAIL)).toHaveLength(HOURLY_CAP);
    // Exactly 5 minutes after the proof: still fresh enough for the last code.
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL)))).toEqual(['email.changed']);
  });

  it('asks to prove identity again when the proof is older than 5 minutes as the code is typed', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    w.clock.advance(REAUTH_MAX_AGE_MS + 1);
    expect(keys(await w.chat.text(code))).toEqual(['email.reauthExpired', 'prove.askPassword']);
    await expectUnchanged(w);
    // The typed code was not spent: after the new proof it still works.
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askCode']);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it('accepts a proof that is exactly 5 minutes old', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    w.clock.advance(REAUTH_MAX_AGE_MS);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it('lets the user switch to a different address; the first message stops working', async () => {
    const w = await setup();
    const first = await requestVerification(w, 'typo@exmaple.com');
    const firstLink = w.linkTo('typo@exmaple.com');
    expect(keys(await w.chat.choose('other'))).toEqual(['email.askAddressAgain']);
    expect(keys(await w.chat.text(NEW_EMAIL))).toEqual(['email.sent']);
    expect(await w.open(firstLink)).toEqual({ status: 400, title: page.invalid });
    expect(keys(await w.chat.text(first))).toEqual(['codes.wrong', 'email.askCode']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL)))).toEqual(['email.changed']);
    expect(await w.email()).toBe(NEW_EMAIL);
  });
});

describe('add or change the email: addresses that are refused', () => {
  it('refuses something that is not an address', async () => {
    const w = await setup();
    await proveWithPassword(w);
    for (const bad of ['alice', 'alice@', 'alice@example', 'a b@example.com', 'a@b.com, c@d.com', '']) {
      expect(keys(await w.chat.text(bad || ' '))).toEqual(['email.invalid', 'email.askAddressAgain']);
    }
    await expectUnchanged(w);
    expect(w.delivery.sent).toEqual([]);
  });

  it('refuses the current address, in any case', async () => {
    const w = await setup();
    await proveWithPassword(w);
    expect(keys(await w.chat.text(' ALICE@example.com'))).toEqual(['email.same', 'email.askAddressAgain']);
    expect(w.delivery.sent).toEqual([]);
  });

  it("refuses another account's address without saying whose it is", async () => {
    const w = await setup();
    await w.services.accounts.create({
      id: 'acc_other',
      phone: '+8613900139000',
      email: 'bob@example.com',
      passwordHash: 'x',
      now: w.clock.now(),
    });
    await proveWithPassword(w);
    const replies = await w.chat.text('Bob@Example.com');
    expect(keys(replies)).toEqual(['email.taken', 'email.askAddressAgain']);
    const said = replies.map((r) => t('en', r.key, r.params)).join('\n');
    expect(said).not.toMatch(/acc_other|\+86|139|bob/i);
    expect(w.delivery.sent).toEqual([]);
    await expectUnchanged(w);
  });

  it('refuses at the last step an address another account took in the meantime', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    await w.services.accounts.create({
      phone: '+8613900139000',
      email: NEW_EMAIL,
      passwordHash: 'x',
      now: w.clock.now(),
    });
    expect(keys(await w.chat.text(code))).toEqual(['email.taken', 'email.askAddressAgain']);
    await expectUnchanged(w);
  });

  it(`stops after ${ADDRESS_LOOKUPS_PER_HOUR} addresses in an hour, so addresses cannot be probed`, async () => {
    const w = await setup();
    await proveWithPassword(w);
    for (let i = 0; i < ADDRESS_LOOKUPS_PER_HOUR; i += 1) {
      await w.chat.text(`probe${i}@example.com`);
      await w.chat.choose('other');
    }
    expect(keys(await w.chat.text('one.more@example.com'))).toEqual(['email.tooManyAddresses']);
    expect(await w.chat.storedSession()).toBeNull();
    await expectUnchanged(w);
  });
});

describe('add or change the email: the link', () => {
  it('pushes "your email is verified" to the chat without the user writing, and the flow is over', async () => {
    const w = await setup();
    await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    expect(link.startsWith(`${new URL(link).origin}/verify-email?token=`)).toBe(true);

    expect(await w.open(link)).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.verified' }] }]);
    expect(await w.chat.storedSession()).toBeNull();
    expect(keys(await w.chat.text('hello?'))).toEqual(['common.notUnderstood']);

    const [changed] = (await w.services.accounts.events(w.accountId)).filter(
      (e) => e.type === 'email.changed',
    );
    expect(changed).toMatchObject({ channel: 'web', detail: { via: 'link' } });
    expect(noticesTo(w, PHONE).map((m) => m.text)).toEqual([
      t('en', 'email.noticeSmsChanged', { email: 'a***@example.org' }),
    ]);
    expect(noticesTo(w, OLD_EMAIL)).toHaveLength(1);
  });

  it('changes nothing when a mail scanner only opens the link; the person confirms it afterwards', async () => {
    const w = await setup();
    await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    const session = await w.chat.storedSession();
    for (let i = 0; i < 3; i += 1) expect(await w.scan(link)).toEqual({ status: 200, confirmPage: true });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([]);
    expect(await w.chat.storedSession()).toBe(session);

    expect(await w.open(link)).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.verified' }] }]);
  });

  it('still accepts the code when a mail scanner opened the link first', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    expect(await w.scan(w.linkTo(NEW_EMAIL))).toEqual({ status: 200, confirmPage: true });
    await expectUnchanged(w);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
    expect(await w.email()).toBe(NEW_EMAIL);
  });

  it('shows "already used" when the link is opened a second time, and changes nothing more', async () => {
    const w = await setup();
    await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    expect((await w.open(link)).status).toBe(200);
    const sent = w.delivery.sent.length;
    expect(await w.open(link)).toEqual({ status: 410, title: page.used });
    expect(w.pushed).toHaveLength(1);
    expect(w.delivery.sent).toHaveLength(sent);
    expect((await eventTypes(w)).filter((e) => e === 'email.changed')).toHaveLength(1);
  });

  it('spends the code when the link is used', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    const taskId = (await w.taskId()) ?? '';
    await w.open(w.linkTo(NEW_EMAIL));
    // Not in its own task, nor in any other: the code of the old message does not work any more.
    expect(await w.services.emailVerification.checkCode(w.accountId, taskId, NEW_EMAIL, code)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(await w.services.codes.check(w.accountId, NEW_EMAIL_CODE_PURPOSE, NEW_EMAIL, code)).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('makes the earlier link stop working when a new message is sent', async () => {
    const w = await setup();
    await requestVerification(w);
    const first = w.linkTo(NEW_EMAIL);
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await w.chat.choose('resend'))).toEqual(['email.sent']);
    const second = w.linkTo(NEW_EMAIL);
    expect(second).not.toBe(first);
    expect(await w.open(first)).toEqual({ status: 400, title: page.invalid });
    await expectUnchanged(w);
    expect(await w.open(second)).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
  });

  it('shows "expired" for a link older than 30 minutes and changes nothing', async () => {
    const w = await setup();
    await requestVerification(w);
    w.clock.advance(EMAIL_LINK_TTL_MS);
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([]);
  });

  it('still works while its task is alive: exactly 5 minutes after the proof', async () => {
    const w = await setup();
    await requestVerification(w);
    w.clock.advance(REAUTH_MAX_AGE_MS);
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.verified' }] }]);
  });

  it('dies with its task when the task expired (idle), within its 30 minutes: nothing changes, the chat is told', async () => {
    // FLOW_IDLE_MINUTES=1: the task expires after one idle minute, the link would last 30.
    const w = await setup({ flowIdleMs: 60_000 });
    await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    w.clock.advance(60_001);
    expect(await w.open(link)).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaskEnded' }] }]);
    // It stays dead, and says so only once.
    expect(await w.open(link)).toEqual({ status: 410, title: page.expired });
    expect(w.pushed).toHaveLength(1);
    await expectUnchanged(w);
  });

  it('dies with its task when the expiry sweeper ended it first', async () => {
    const w = await setup({ flowIdleMs: 60_000 });
    await requestVerification(w);
    w.clock.advance(60_001);
    expect(await w.engine.expireIdle()).toBe(1);
    const told = w.pushed.length;
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed.slice(told)).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaskEnded' }] }]);
  });

  it('dies with its task after /cancel: nothing changes, the chat is told', async () => {
    const w = await setup();
    await requestVerification(w);
    expect(keys(await w.chat.command('cancel'))).toEqual(['common.cancelled']);
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaskEnded' }] }]);
  });

  it('is not taken by a new run of the same task: the new one goes on undisturbed', async () => {
    const w = await setup();
    await requestVerification(w);
    await w.chat.command('cancel');
    expect(keys(await w.chat.command('email'))).toEqual(['email.askPassword']);
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaskEnded' }] }]);
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askAddressChange']);
  });

  it('leaves another running task alone and tells the chat separately', async () => {
    const w = await setup();
    await requestVerification(w);
    await w.chat.command('cancel');
    expect(keys(await w.chat.command('password'))).toEqual(['password.askCurrent']);
    expect((await w.open(w.linkTo(NEW_EMAIL))).status).toBe(410);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaskEnded' }] }]);
    await expectUnchanged(w);
    // The password task is still waiting for the current password.
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['password.askNew']);
  });

  it('completes the change even when no push sender is configured', async () => {
    const w = await setup({ pushSender: false });
    await requestVerification(w);
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(await w.chat.storedSession()).toBeNull();
  });

  it('changes nothing after /cancel even when no push sender is configured', async () => {
    const w = await setup({ pushSender: false });
    await requestVerification(w);
    await w.chat.command('cancel');
    expect(await w.open(w.linkTo(NEW_EMAIL))).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
  });

  it('shows "invalid" for a token that was never issued, and for a malformed one', async () => {
    const w = await setup();
    await requestVerification(w);
    const link = new URL(w.linkTo(NEW_EMAIL));
    expect(await w.open(`${link.origin}/verify-email?token=${'A'.repeat(43)}`)).toEqual({
      status: 400,
      title: page.invalid,
    });
    expect(await w.open(`${link.origin}/verify-email?token=short`)).toEqual({
      status: 400,
      title: page.invalid,
    });
    await expectUnchanged(w);
  });

  it('asks to prove identity again when the link is confirmed more than 5 minutes after the proof; then it works', async () => {
    const w = await setup();
    await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    const token = new URL(link).searchParams.get('token') ?? '';
    w.clock.advance(REAUTH_MAX_AGE_MS + 1);
    expect(await w.open(link)).toEqual({ status: 410, title: page.expired });
    await expectUnchanged(w);
    expect(w.pushed).toEqual([
      {
        chat: w.chat.ref,
        replies: [
          { key: 'email.linkReauth' },
          {
            key: 'prove.askPassword',
            input: 'secret',
            field: PASSWORD_FIELD,
            choices: [{ value: 'forgot', label: 'prove.choiceForgot' }],
          },
        ],
      },
    ]);
    // The token went through the flow but never into the stored session.
    expect(w.kv.writesContaining(token)).toEqual([]);
    // The link was not spent: after the new proof the same link completes the change.
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askCode']);
    expect(await w.open(link)).toEqual({ status: 200, title: page.verified });
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(w.pushed.at(-1)).toEqual({ chat: w.chat.ref, replies: [{ key: 'email.verified' }] });
    expect(await w.chat.storedSession()).toBeNull();
  });

  it('asks for a new proof when the link is confirmed while the user is proving identity again', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    w.clock.advance(REAUTH_MAX_AGE_MS + 1);
    expect(keys(await w.chat.text(code))).toEqual(['email.reauthExpired', 'prove.askPassword']);
    expect((await w.open(w.linkTo(NEW_EMAIL))).status).toBe(410);
    expect(w.pushed).toEqual([
      {
        chat: w.chat.ref,
        replies: [{ key: 'email.linkReauth' }, expect.objectContaining({ key: 'prove.askPassword' })],
      },
    ]);
    await expectUnchanged(w);
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askCode']);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it('refuses at the link an address another account took in the meantime, and tells the chat', async () => {
    const w = await setup();
    await requestVerification(w);
    await w.services.accounts.create({
      phone: '+8613900139000',
      email: NEW_EMAIL,
      passwordHash: 'x',
      now: 0,
    });
    expect((await w.open(w.linkTo(NEW_EMAIL))).status).toBe(400);
    expect(w.pushed).toEqual([{ chat: w.chat.ref, replies: [{ key: 'email.linkTaken' }] }]);
    await expectUnchanged(w);
  });
});

describe('add or change the email: the message to the new address', () => {
  it('holds the link and the code, as text and as HTML', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    const message = w.delivery.to(NEW_EMAIL).at(-1);
    const link = w.linkTo(NEW_EMAIL);
    expect(message?.subject).toBe(t('en', 'email.verifySubject'));
    expect(message?.text).toBe(t('en', 'email.verifyText', { link, code }));
    expect(message?.html).toContain(`<a href="${link}">${link}</a>`);
    expect(message?.html).toContain(`<strong>${code}</strong>`);
    // 32 random bytes, URL-safe base64.
    expect(new URL(link).searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('holds only the code, and says so, when no public URL is configured', async () => {
    const w = await setup({ link: false });
    await proveWithPassword(w);
    expect(keys(await w.chat.text(NEW_EMAIL))).toEqual(['email.sentCodeOnly']);
    const code = w.delivery.lastCodeTo(NEW_EMAIL);
    const message = w.delivery.to(NEW_EMAIL).at(-1);
    expect(message?.text).toBe(t('en', 'email.verifyTextCodeOnly', { code }));
    expect(message?.text).not.toMatch(/verify-email|https?:/);
    expect(keys(await w.chat.text(wrongCode(code)))).toEqual(['codes.wrong', 'email.askCodeOnly']);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
  });

  it('stores the token only as a keyed hash, and never a typed secret', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    const token = new URL(w.linkTo(NEW_EMAIL)).searchParams.get('token') ?? '';
    await w.chat.text(code);
    expect(w.typed).toContain(PASSWORD);
    for (const secret of [PASSWORD, new RegExp(`(?<!\\d)${code}(?!\\d)`), token]) {
      expect(w.kv.writesContaining(secret), String(secret)).toEqual([]);
    }
  });
});

describe('add or change the email: proving identity', () => {
  it('asks again after a wrong password, counting the tries down', async () => {
    const w = await setup();
    await w.chat.command('email');
    expect(await w.chat.text('not-my-password-1')).toEqual([
      { key: 'prove.wrongPassword', params: { remaining: MAX_WRONG_PASSWORDS - 1 } },
      expect.objectContaining({ key: 'prove.askPasswordAgain', input: 'secret', field: PASSWORD_FIELD }),
    ]);
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askAddressChange']);
  });

  it('shares the password lock-out: after 5 wrong passwords only the phone code is offered', async () => {
    const w = await setup();
    await w.chat.command('email');
    for (let i = 1; i < MAX_WRONG_PASSWORDS; i += 1) await w.chat.text(`wrong-password-${i}`);
    const locked = await w.chat.text('wrong-password-5');
    expect(locked).toEqual([
      {
        key: 'prove.lockedPickDestination',
        params: { minutes: 15 },
        input: 'choice',
        choices: [
          { value: 'phone', label: 'codes.choicePhone', params: { to: '+86 138****8000' } },
          { value: 'noAccess', label: 'prove.choiceNoAccess' },
        ],
      },
    ]);
    // The right password is not even looked at now.
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['common.pickOne', 'prove.lockedPickDestination']);
    await w.chat.command('cancel');
    // A new start, in this or any task that checks the password, is locked too.
    expect(keys(await w.chat.command('email'))).toEqual(['prove.lockedPickDestination']);
    expect(keys(await w.chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(PHONE)))).toEqual(['email.askAddressChange']);
  });

  it('asks again after a wrong phone code and goes back to the choice when it expires', async () => {
    const w = await setup();
    await w.chat.command('email');
    await w.chat.choose('forgot');
    await w.chat.choose('phone');
    const code = w.delivery.lastCodeTo(PHONE);
    expect(keys(await w.chat.text(wrongCode(code)))).toEqual(['codes.wrong', 'codes.askCode']);
    w.clock.advance(CODE_TTL_MS);
    expect(keys(await w.chat.text(code))).toEqual(['codes.expired', 'prove.pickDestination']);
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await w.chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(PHONE)))).toEqual(['email.askAddressChange']);
  });

  it('does not accept a phone code of another task', async () => {
    const w = await setup();
    await w.chat.command('password');
    await w.chat.choose('forgot');
    await w.chat.choose('phone');
    const passwordCode = w.delivery.lastCodeTo(PHONE);
    await w.chat.command('cancel');
    await w.chat.command('email');
    w.clock.advance(RESEND_COOLDOWN_MS);
    await w.chat.choose('forgot');
    await w.chat.choose('phone');
    // (Fails once in a million runs, when both codes happen to have the same digits.)
    expect(keys(await w.chat.text(passwordCode))).toEqual(['codes.wrong', 'codes.askCode']);
  });

  it('asks for the second factor after the first proof when the account has 2FA', async () => {
    const w = await setup();
    const totp = new TotpService({ clock: w.clock, issuer: 'test' });
    const fresh = await w.services.twoFactor.newSecret(w.accountId);
    const secret = fresh.key.replaceAll(' ', '');
    const setupCode = await w.services.twoFactor.checkSetupCode(
      w.accountId,
      fresh.sealed,
      await totp.currentCode(secret),
    );
    if (!setupCode.ok) throw new Error('could not turn 2FA on');
    await w.services.twoFactor.enable(w.accountId, fresh.sealed, setupCode.step, 'console');
    w.clock.advance(30_000);
    w.delivery.clear();

    await w.chat.command('email');
    expect(await w.chat.text(PASSWORD)).toEqual([
      {
        key: 'twofa.askCode',
        input: 'secret',
        field: { label: 'field.appCode', maxLength: FIELD_MAX.code },
        choices: [{ value: 'support', label: 'support.choiceLostApp' }],
      },
    ]);
    const current = await totp.currentCode(secret);
    expect(keys(await w.chat.text(wrongCode(current)))).toEqual(['twofa.wrong', 'twofa.askCode']);
    expect(keys(await w.chat.text(current))).toEqual(['email.askAddressChange']);
    expect(keys(await w.chat.text(NEW_EMAIL))).toEqual(['email.sent']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL)))).toEqual(['email.changed']);
  });
});

describe('add or change the email: when delivery fails', () => {
  it('stays at the address step when the message to the new address cannot be sent, with nothing stored', async () => {
    const w = await setup();
    await proveWithPassword(w);
    w.delivery.failNext();
    expect(await w.chat.text(NEW_EMAIL)).toEqual([
      { key: 'codes.deliveryFailed' },
      { key: 'email.askAddressAgain', input: 'text', field: EMAIL_FIELD },
    ]);
    expect(w.delivery.refused.map((m) => m.to)).toEqual([NEW_EMAIL]);
    expect(w.kv.writesContaining('email-link:')).toEqual([]);
    await expectUnchanged(w);
    // Trying again sends the message and the flow goes on.
    expect(keys(await w.chat.text(NEW_EMAIL))).toEqual(['email.sent']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL)))).toEqual(['email.changed']);
  });

  it('keeps waiting for the first code when a new message cannot be sent', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    const link = w.linkTo(NEW_EMAIL);
    w.clock.advance(RESEND_COOLDOWN_MS);
    w.delivery.failNext();
    expect(keys(await w.chat.choose('resend'))).toEqual(['codes.deliveryFailed', 'email.askCode']);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
    expect((await w.open(link)).status).toBe(410);
  });

  it('stays at the choice when the phone code cannot be sent, and the password still works', async () => {
    const w = await setup();
    await w.chat.command('email');
    await w.chat.choose('forgot');
    w.delivery.failNext();
    expect(keys(await w.chat.choose('phone'))).toEqual(['codes.deliveryFailed', 'prove.pickDestination']);
    // Trying again sends the code; and a new start still takes the password.
    expect(keys(await w.chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    await w.chat.command('cancel');
    expect(keys(await w.chat.command('email'))).toEqual(['email.askPassword']);
    expect(keys(await w.chat.text(PASSWORD))).toEqual(['email.askAddressChange']);
  });

  it('still changes the email when a notice cannot be delivered', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    w.delivery.failNext(2);
    expect(keys(await w.chat.text(code))).toEqual(['email.changed']);
    expect(await w.email()).toBe(NEW_EMAIL);
    expect(w.delivery.refused.map((m) => m.channel).sort()).toEqual(['email', 'sms']);
  });
});

describe('add or change the email: the new address as a login and recovery method', () => {
  it('is offered by change-password\'s "I forgot" path, and its code proves identity there', async () => {
    const w = await setup({ email: null });
    await w.chat.command('email');
    await w.chat.text(PASSWORD);
    await w.chat.text(NEW_EMAIL);
    await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL));
    expect(await w.email()).toBe(NEW_EMAIL);

    await w.chat.command('password');
    const destinations = await w.chat.choose('forgot');
    expect(destinations.at(-1)?.choices).toEqual([
      { value: 'phone', label: 'codes.choicePhone', params: { to: '+86 138****8000' } },
      { value: 'email', label: 'codes.choiceEmail', params: { to: 'a***@example.org' } },
      { value: 'noAccess', label: 'prove.choiceNoAccess' },
    ]);
    w.clock.advance(RESEND_COOLDOWN_MS);
    expect(keys(await w.chat.choose('email'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await w.chat.text(w.delivery.lastCodeTo(NEW_EMAIL)))).toEqual(['password.askNew']);
  });

  it('finds the account by the new address and no longer by the old one', async () => {
    const w = await setup();
    const code = await requestVerification(w);
    await w.chat.text(code);
    expect((await w.services.accounts.find(NEW_EMAIL))?.id).toBe(w.accountId);
    expect(await w.services.accounts.find(OLD_EMAIL)).toBeNull();
  });
});
