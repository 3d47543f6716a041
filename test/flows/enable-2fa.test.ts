import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { NO_TWO_FACTOR } from '../../src/accounts/account.ts';
import { ManualClock } from '../../src/clock.ts';
import { createEngine } from '../../src/composition/engine.ts';
import type { UserInput } from '../../src/engine/input.ts';
import type { Reply } from '../../src/engine/reply.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { RecoveryCodes } from '../../src/twofa/recovery-codes.ts';
import { SecretBox } from '../../src/twofa/secret-box.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { createFlowHarness, keys, SECRET_KEY } from '../helpers/flow-harness.ts';
import { plainStored } from '../helpers/stored.ts';
import { connectRedis, uniquePrefix } from '../helpers/redis.ts';
import {
  authenticator,
  replyWith,
  STEP_MS,
  shownCodes,
  shownKey,
  turnOnTwoFactor,
} from '../helpers/two-factor.ts';

const MINUTE = 60_000;
/** Beside every set-up code prompt: the same QR code again, or what to do without an app. */
const SETUP_CHOICES = [
  { value: 'showAgain', label: 'twofa.choiceShowAgain' },
  { value: 'noApp', label: 'twofa.choiceNoApp' },
];

describe('turning on two-step verification (/2fa)', () => {
  it('shows a QR code and the key, turns 2FA on with a code from the app and shows 10 recovery codes once', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    expect(await chat.command('2fa')).toEqual([
      {
        key: 'twofa.askPasswordOn',
        input: 'secret',
        field: { label: 'field.password', maxLength: 128 },
        choices: [{ value: 'forgot', label: 'prove.choiceForgot' }],
      },
    ]);

    const shown = await chat.text(h.password);
    expect(keys(shown)).toEqual(['twofa.scan', 'twofa.askSetupCode']);
    const scan = replyWith(shown, 'twofa.scan');
    expect(scan.sensitive).toBe(true);
    expect(String(scan.params?.key)).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    const secret = shownKey(shown);
    expect(scan.image?.mime).toBe('image/png');
    expect(
      Buffer.from(scan.image?.base64 ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(scan.image?.text).toMatch(/^otpauth:\/\/totp\/lockstep:alice%40example\.com\?secret=/);
    expect(scan.image?.text).toContain(`secret=${secret}&issuer=lockstep`);
    expect(scan.image?.alt).toBe('twofa.qrAlt');
    // The prompt is a reply of its own: it is what the engine remembers, and it holds no secret.
    expect(replyWith(shown, 'twofa.askSetupCode')).toEqual({
      key: 'twofa.askSetupCode',
      input: 'secret',
      field: { label: 'field.code', maxLength: 32 },
      choices: SETUP_CHOICES,
    });
    expect((await h.account()).twoFactor.enabled).toBe(false);

    const committed = await chat.text(await authenticator(secret, h.clock).code());
    expect(keys(committed)).toEqual(['twofa.recoveryCodes', 'twofa.askSaved']);
    expect(replyWith(committed, 'twofa.recoveryCodes').sensitive).toBe(true);
    const codes = shownCodes(committed);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}$/);

    expect(keys(await chat.choose('saved'))).toEqual(['twofa.enabledDone']);
    expect(await chat.storedSession()).toBeNull();

    const account = await h.account();
    expect(account.twoFactor.enabled).toBe(true);
    expect(account.twoFactor.lastUsedStep).toBe(Math.floor(h.clock.now() / STEP_MS));
    expect(
      new SecretBox({ secretKey: SECRET_KEY }).open(account.twoFactor.secretEnc ?? '', h.accountId),
    ).toBe(secret);
    const recovery = new RecoveryCodes({ secretKey: SECRET_KEY });
    expect(account.twoFactor.recoveryHashes).toHaveLength(10);
    expect(codes.map((code) => recovery.match(code, account.twoFactor.recoveryHashes))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    const [latest] = await h.services.accounts.events(h.accountId, 1);
    expect(latest).toMatchObject({ type: 'twofa.enabled', channel: 'console' });
    expect(h.delivery.sent.map((m) => [m.channel, m.to, m.subject ?? m.text])).toEqual([
      ['sms', h.phone, expect.stringContaining('two-step verification was turned on')],
      ['email', h.email, 'Two-step verification was turned on'],
    ]);
  });

  it('"Show the QR code again" shows the same key (an app that already scanned it keeps working)', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const first = shownKey(await chat.text(h.password));
    const again = await chat.choose('showAgain');
    expect(keys(again)).toEqual(['twofa.scan', 'twofa.askSetupCode']);
    expect(shownKey(again)).toBe(first);
    // After a refused code too; then the code from the same key turns it on.
    await chat.text('000000');
    expect(shownKey(await chat.choose('showAgain'))).toBe(first);
    expect(keys(await chat.text(await authenticator(first, h.clock).code()))).toEqual([
      'twofa.recoveryCodes',
      'twofa.askSaved',
    ]);
  });

  it('"I have no authenticator app" says what to install and ends the task: nothing was turned on', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    await chat.text(h.password);
    expect(keys(await chat.choose('noApp'))).toEqual(['twofa.noApp']);
    expect(await chat.storedSession()).toBeNull();
    expect((await h.account()).twoFactor.enabled).toBe(false);
  });

  it('never writes the secret or a recovery code to the store, and never remembers them as the prompt', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const shown = await chat.text(h.password);
    const secret = shownKey(shown);
    const waiting = JSON.parse((await chat.storedSession()) ?? '{}');
    expect(waiting.prompt).toEqual({
      key: 'twofa.askSetupCode',
      input: 'secret',
      field: { label: 'field.code', maxLength: 32 },
      choices: SETUP_CHOICES,
    });
    expect(waiting.flow.snapshot.context.pendingSealed).toMatch(/^v1:/);
    const committed = await chat.text(await authenticator(secret, h.clock).code());
    const codes = shownCodes(committed);
    expect(JSON.parse((await chat.storedSession()) ?? '{}').prompt.key).toBe('twofa.askSaved');
    await chat.choose('saved');

    expect(h.kv.writes.length).toBeGreaterThan(5);
    expect(h.kv.writesContaining(secret)).toEqual([]);
    expect(h.kv.writesContaining(String(replyWith(shown, 'twofa.scan').params?.key))).toEqual([]);
    for (const code of codes) {
      expect(h.kv.writesContaining(code)).toEqual([]);
      expect(h.kv.writesContaining(code.replaceAll('-', ''))).toEqual([]);
    }
    expect(h.kv.writesContaining(h.password)).toEqual([]);
  });

  it('accepts a set-up code from the step before or after, but not two steps off', async () => {
    for (const [offset, accepted] of [
      [-1, true],
      [1, true],
      [-2, false],
      [2, false],
    ] as const) {
      const h = await createFlowHarness();
      h.clock.advance(10_000);
      const chat = h.chat();
      await chat.command('2fa');
      const secret = shownKey(await chat.text(h.password));
      const replies = await chat.text(await authenticator(secret, h.clock).code(offset));
      expect(keys(replies), `offset ${offset}`).toEqual(
        accepted ? ['twofa.recoveryCodes', 'twofa.askSaved'] : ['twofa.setupWrong'],
      );
      expect((await h.account()).twoFactor.enabled).toBe(accepted);
    }
  });

  it('says when the code does not match, keeps 2FA off, and accepts the right code afterwards', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const secret = shownKey(await chat.text(h.password));
    const right = await authenticator(secret, h.clock).code();
    const wrong = right === '123456' ? '654321' : '123456';
    const refused = await chat.text(wrong);
    expect(refused).toEqual([
      // The refusal is the prompt: the question is not asked twice.
      {
        key: 'twofa.setupWrong',
        input: 'secret',
        field: { label: 'field.code', maxLength: 32 },
        choices: SETUP_CHOICES,
      },
    ]);
    expect(keys(await chat.text('12 34'))).toEqual(['twofa.setupFormat']);
    expect((await h.account()).twoFactor).toEqual(NO_TWO_FACTOR);
    expect(h.delivery.sent).toEqual([]);
    expect(keys(await chat.text(right))).toEqual(['twofa.recoveryCodes', 'twofa.askSaved']);
  });

  it('leaves 2FA off and keeps nothing when the user cancels after seeing the QR code', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const secret = shownKey(await chat.text(h.password));
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
    expect(await chat.storedSession()).toBeNull();
    expect((await h.account()).twoFactor).toEqual(NO_TWO_FACTOR);
    // The code from the abandoned key is useless now: there is no flow to take it.
    expect(keys(await chat.text(await authenticator(secret, h.clock).code()))).toEqual([
      'common.notUnderstood',
    ]);
    expect((await h.account()).twoFactor.enabled).toBe(false);
    expect(h.delivery.sent).toEqual([]);
  });

  it('does not claim "nothing was changed" when cancelled or expired after 2FA is already on', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const secret = shownKey(await chat.text(h.password));
    await chat.text(await authenticator(secret, h.clock).code());
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelledAfterChange']);
    expect((await h.account()).twoFactor.enabled).toBe(true);

    const other = await createFlowHarness();
    const idle = other.chat();
    await idle.command('2fa');
    const otherSecret = shownKey(await idle.text(other.password));
    await idle.text(await authenticator(otherSecret, other.clock).code());
    other.clock.advance(16 * MINUTE);
    expect(keys(await idle.text('hello'))).toEqual(['common.expiredAfterChange', 'common.notUnderstood']);
  });

  it('offers to turn 2FA off, make new recovery codes or keep it when it is already on', async () => {
    const h = await createFlowHarness();
    await turnOnTwoFactor(h);
    const chat = h.chat();
    const offered = await chat.command('2fa');
    expect(offered).toEqual([
      {
        key: 'twofa.alreadyOn',
        input: 'choice',
        choices: [
          { value: 'off', label: 'twofa.choiceTurnOff' },
          { value: 'codes', label: 'twofa.choiceNewCodes' },
          { value: 'support', label: 'support.choiceLostApp' },
          { value: 'keep', label: 'twofa.choiceKeep' },
        ],
      },
    ]);
    expect(keys(await chat.choose('keep'))).toEqual(['twofa.kept']);
    await chat.command('2fa');
    expect(keys(await chat.choose('off'))).toEqual(['twofa.choseOff', 'twofa.askPasswordOff']);
    await chat.command('cancel');
    await chat.command('2fa');
    expect(keys(await chat.text('2'))).toEqual(['twofa.choseNewCodes', 'twofa.askPasswordRecovery']);
    expect((await h.account()).twoFactor.enabled).toBe(true);
  });

  it('counts wrong passwords and, when the password step locks, says for how long and offers a code', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const first = await chat.text('not-my-password-1');
    expect(first.map((r) => [r.key, r.params])).toEqual([
      ['prove.wrongPassword', { remaining: 4 }],
      ['prove.askPasswordAgain', undefined],
    ]);
    for (let i = 0; i < 3; i += 1) await chat.text('not-my-password-1');
    const locked = await chat.text('not-my-password-1');
    expect(keys(locked)).toEqual(['prove.lockedPickDestination']);
    expect(locked[0]?.params).toEqual({ minutes: 15 });
    expect(locked[0]?.choices?.map((c) => c.value)).toEqual(['phone', 'email', 'noAccess']);
    // /2fa in the middle repeats where the task is: still locked, still offering a code.
    expect(keys(await chat.command('2fa'))).toEqual(['prove.lockedPickDestination']);
    expect((await h.account()).twoFactor.enabled).toBe(false);
    // Started again while locked, the task says so at once and offers a code, not the password.
    await chat.command('cancel');
    expect(keys(await chat.command('2fa'))).toEqual(['prove.lockedPickDestination']);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const shown = await chat.text(h.delivery.lastCodeTo(h.phone));
    expect(keys(shown)).toEqual(['twofa.scan', 'twofa.askSetupCode']);
    expect(keys(await chat.text(await authenticator(shownKey(shown), h.clock).code()))).toEqual([
      'twofa.recoveryCodes',
      'twofa.askSaved',
    ]);
  });

  it('proves identity with a code to the phone instead of the password', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    expect(keys(await chat.choose('forgot'))).toEqual(['prove.pickDestination']);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const shown = await chat.text(h.delivery.lastCodeTo(h.phone));
    expect(keys(shown)).toEqual(['twofa.scan', 'twofa.askSetupCode']);
    const committed = await chat.text(await authenticator(shownKey(shown), h.clock).code());
    expect(keys(committed)).toEqual(['twofa.recoveryCodes', 'twofa.askSaved']);
  });

  it('asks for a new proof when the first one is more than 5 minutes old, without a new QR code', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('2fa');
    const secret = shownKey(await chat.text(h.password));
    h.clock.advance(6 * MINUTE);
    const app = authenticator(secret, h.clock);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.reauthExpired', 'prove.askPassword']);
    expect((await h.account()).twoFactor.enabled).toBe(false);
    expect(keys(await chat.text(h.password))).toEqual(['twofa.askSetupCode']);
    h.clock.advance(STEP_MS);
    expect(keys(await chat.text(await app.code()))).toEqual(['twofa.recoveryCodes', 'twofa.askSaved']);
    const account = await h.account();
    expect(
      new SecretBox({ secretKey: SECRET_KEY }).open(account.twoFactor.secretEnc ?? '', h.accountId),
    ).toBe(secret);
  });

  it('does not overwrite 2FA that was turned on from another chat in the meantime', async () => {
    const h = await createFlowHarness();
    const slow = h.chat('slow');
    await slow.command('2fa');
    const slowSecret = shownKey(await slow.text(h.password));
    const { secret } = await turnOnTwoFactor(h, h.chat('fast'));
    expect(keys(await slow.text(await authenticator(slowSecret, h.clock).code()))).toEqual([
      'twofa.enableRaced',
    ]);
    const account = await h.account();
    expect(
      new SecretBox({ secretKey: SECRET_KEY }).open(account.twoFactor.secretEnc ?? '', h.accountId),
    ).toBe(secret);
  });

  it('is in the menu of a linked chat', async () => {
    const h = await createFlowHarness();
    const [menu] = await h.chat().command('menu');
    expect(menu?.choices?.map((c) => c.label)).toEqual(
      expect.arrayContaining(['menu.twofa', 'menu.activity']),
    );
  });
});

describe('two-step verification at rest, on Redis', () => {
  /** Every value stored under `prefix`, whatever its type, as text. */
  async function everythingStored(redis: Redis, prefix: string): Promise<string> {
    const found: string[] = [];
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      if (type === 'string') found.push(key, plainStored(await redis.get(key)) ?? '');
      else if (type === 'list') found.push(key, ...(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') found.push(key, ...(await redis.zrange(key, 0, -1)));
      else found.push(key, `<${type}>`);
    }
    return found.join('\n');
  }

  it('keeps the TOTP secret encrypted and the recovery codes hashed in the account and in every session', async () => {
    const redis = connectRedis();
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const services = createServices({
      kv: new RedisKv(redis),
      delivery: new RecordingDelivery(),
      clock,
      log: silentLogger,
      secretKey: SECRET_KEY,
      prefix,
    });
    const password = 'Sunflower-Lantern-42';
    const created = await services.accounts.create({
      phone: '+8613800138000',
      email: 'alice@example.com',
      passwordHash: await services.hasher.hash(password),
      now: clock.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    const accountId = created.account.id;
    await services.accounts.link(accountId, 'telegram', '42', clock.now());
    const engine = createEngine(services);
    let update = 0;
    const send = async (action: UserInput['action']): Promise<Reply[]> => {
      update += 1;
      const result = await engine.handle({
        chat: { channel: 'telegram', chatId: '42' },
        userId: '42',
        updateId: String(update),
        isPrivate: true,
        action,
      });
      return [...result.replies];
    };
    const snapshots: string[] = [];

    await send({ type: 'command', command: '2fa', args: '' });
    const shown = await send({ type: 'text', text: password });
    const secret = shownKey(shown);
    snapshots.push(await everythingStored(redis, prefix));
    const committed = await send({ type: 'text', text: await authenticator(secret, clock).code() });
    const codes = shownCodes(committed);
    snapshots.push(await everythingStored(redis, prefix));
    await send({ type: 'choice', value: 'saved' });
    snapshots.push(await everythingStored(redis, prefix));

    const account = JSON.parse((await redis.get(services.accounts.rawKey(accountId))) ?? '{}');
    expect(account.twoFactor.enabled).toBe(true);
    expect(account.twoFactor.secretEnc).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    // The session while waiting for the code held the sealed secret, and only that.
    expect(snapshots[0]).toContain('pendingSealed');
    for (const stored of snapshots) {
      expect(stored).toContain(accountId);
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.toLowerCase());
      expect(stored).not.toContain(String(replyWith(shown, 'twofa.scan').params?.key));
      expect(stored).not.toContain(password);
      for (const code of codes) {
        expect(stored).not.toContain(code);
        expect(stored).not.toContain(code.replaceAll('-', ''));
      }
    }
  });
});
