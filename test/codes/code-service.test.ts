import { createHash, createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import {
  CODE_TTL_MS,
  type CodeRequest,
  CodeService,
  HOURLY_CAP,
  LINK_FIRST_DELAY_MS,
  LINK_HOURLY_CAP,
  MAX_WRONG_TRIES,
  REQUESTER_HOURLY_CAP,
  RESEND_COOLDOWN_MS,
} from '../../src/codes/code-service.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { backends, RecordingKv } from '../helpers/backends.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';

const SECRET = 's'.repeat(32);
const PHONE = '+8613800138000';

/**
 * A cool-down's key: tagged with the destination's hour key, subject and purpose named by the first 7
 * characters of the base64url SHA-256 of `<subject>\n<purpose>`.
 */
function cooldownKey(prefix: string, to: string, subject: string, purpose: string): string {
  const who = createHash('sha256').update(`${subject}\n${purpose}`).digest('base64url').slice(0, 7);
  return `${prefix}{${prefix}code-hour:${to}}:cd:${who}`;
}
const EMAIL = 'alice@example.com';

function request(overrides: Partial<CodeRequest> = {}): CodeRequest {
  return {
    subject: 'acc_000000000001',
    purpose: 'password-reset',
    channel: 'sms',
    to: PHONE,
    shownAs: '+86 138****8000',
    ...overrides,
  };
}

/** A 6-digit code that is certainly not `code`. */
function another(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

/** `code` as a whole number in some stored text (timestamps are longer digit runs and do not count). */
function containsCode(text: string, code: string): boolean {
  return new RegExp(`(?<!\\d)${code}(?!\\d)`).test(text);
}

describe('CodeService (memory store, manual clock)', () => {
  let clock: ManualClock;
  let kv: RecordingKv;
  let delivery: RecordingDelivery;
  let codes: CodeService;

  const make = (secretKey = SECRET, store: Kv = kv) =>
    new CodeService({ kv: store, delivery, clock, secretKey, log: silentLogger, prefix: 'ls:' });

  beforeEach(() => {
    clock = new ManualClock();
    kv = new RecordingKv(new MemoryKv(clock));
    delivery = new RecordingDelivery();
    codes = make();
  });

  async function sendAndRead(overrides: Partial<CodeRequest> = {}): Promise<string> {
    const sent = await codes.send(request(overrides));
    expect(sent).toEqual({ ok: true, to: overrides.shownAs ?? '+86 138****8000' });
    return delivery.lastCodeTo(overrides.to ?? PHONE);
  }

  describe('sending', () => {
    it('texts a 6-digit code to the phone and answers with the masked destination', async () => {
      expect(await codes.send(request())).toEqual({ ok: true, to: '+86 138****8000' });
      expect(delivery.sent).toHaveLength(1);
      const [sms] = delivery.sent;
      expect(sms).toMatchObject({ channel: 'sms', to: PHONE });
      expect(sms?.text).toMatch(/your code is \d{6}\./);
      expect(delivery.codesTo(PHONE)).toHaveLength(1);
    });

    it('emails a code with a subject', async () => {
      const sent = await codes.send(
        request({ channel: 'email', to: EMAIL, shownAs: 'a***@example.com', purpose: 'email-verify' }),
      );
      expect(sent).toEqual({ ok: true, to: 'a***@example.com' });
      const [mail] = delivery.to(EMAIL);
      expect(mail).toMatchObject({ channel: 'email', to: EMAIL, subject: 'Your lockstep code' });
      expect(delivery.codesTo(EMAIL)).toHaveLength(1);
    });

    it('makes codes of exactly 6 digits, leading zeros included, that vary from code to code', async () => {
      const seen: string[] = [];
      // 300 destinations, so neither the cool-down nor the hourly cap gets in the way.
      for (let i = 0; i < 300; i += 1) {
        const to = `+4915100${String(i).padStart(6, '0')}`;
        await codes.send(request({ to }));
        seen.push(delivery.lastCodeTo(to));
      }
      for (const code of seen) expect(code).toMatch(/^\d{6}$/);
      // About 10% start with 0; none at all in 300 would mean the zeros are being dropped.
      expect(seen.some((code) => code.startsWith('0'))).toBe(true);
      expect(new Set(seen).size).toBeGreaterThan(290);
    });

    it('stores no code, only an HMAC keyed with the secret key', async () => {
      const code = await sendAndRead();
      expect(kv.writes.length).toBeGreaterThan(0);
      for (const write of kv.writes) expect(containsCode(write.value, code)).toBe(false);
      const stored = kv.writes.find((w) => w.key === 'ls:{code:acc_000000000001}:code:password-reset');
      // `<hash> <expiresAt> <wrong>`: the HMAC in base64url, bound to subject, purpose and destination.
      const [hash, expiresAt, wrong, ...rest] = (stored?.value ?? '').split(' ');
      expect(rest).toEqual([]);
      expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const expected = createHmac('sha256', SECRET)
        .update(`acc_000000000001\npassword-reset\n${PHONE}\n${code}`)
        .digest('base64url');
      expect(hash).toBe(expected);
      expect(Number(expiresAt)).toBe(clock.now() + CODE_TTL_MS);
      expect(wrong).toBe('0');
    });

    it('cannot be checked by a process with another secret key', async () => {
      const code = await sendAndRead();
      expect(await make('t'.repeat(32)).check('acc_000000000001', 'password-reset', PHONE, code)).toEqual({
        ok: false,
        reason: 'wrong',
        remaining: MAX_WRONG_TRIES - 1,
      });
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, code)).toEqual({ ok: true });
    });

    it('stores no code and starts no cool-down when the provider refuses the message', async () => {
      delivery.failNext();
      expect(await codes.send(request())).toEqual({ ok: false, reason: 'deliveryFailed' });
      expect(delivery.sent).toEqual([]);
      expect(delivery.refused).toHaveLength(1);
      expect(await kv.get('ls:{code:acc_000000000001}:code:password-reset')).toBeNull();
      // No cool-down is left behind (the claimed one is released); the attempt counts towards the cap.
      const cooldown = cooldownKey('ls:', PHONE, 'acc_000000000001', 'password-reset');
      expect(kv.writes.filter((w) => w.key !== cooldown && !w.key.startsWith('ls:code-hour:'))).toEqual([]);
      expect(kv.writes.some((w) => w.key === cooldown)).toBe(true);
      expect(await kv.get(cooldown)).toBeNull();
      // The user may try again right away.
      expect((await codes.send(request())).ok).toBe(true);
    });

    it('does not hand out the refused code: a code from a failed send is not valid', async () => {
      delivery.failNext();
      await codes.send(request());
      const refused = delivery.refused[0]?.text.match(/\d{6}/)?.[0] ?? '';
      expect(refused).toMatch(/^\d{6}$/);
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, refused)).toEqual({
        ok: false,
        reason: 'missing',
      });
    });
  });

  describe('checking', () => {
    const check = (input: string, overrides: { subject?: string; purpose?: string; to?: string } = {}) =>
      codes.check(
        overrides.subject ?? 'acc_000000000001',
        overrides.purpose ?? 'password-reset',
        overrides.to ?? PHONE,
        input,
      );

    it('accepts the right code once and rejects a reused code', async () => {
      const code = await sendAndRead();
      expect(await check(code)).toEqual({ ok: true });
      expect(await check(code)).toEqual({ ok: false, reason: 'missing' });
    });

    it('accepts the code typed with spaces or a dash', async () => {
      const code = await sendAndRead();
      expect(await check(` ${code.slice(0, 3)} ${code.slice(3)} `)).toEqual({ ok: true });
      const next = await (async () => {
        clock.advance(RESEND_COOLDOWN_MS);
        return sendAndRead();
      })();
      expect(await check(`${next.slice(0, 3)}-${next.slice(3)}`)).toEqual({ ok: true });
    });

    it('lets only one of two concurrent checks of the right code succeed', async () => {
      const code = await sendAndRead();
      const results = await Promise.all([check(code), check(code), check(code)]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it('rejects a code for another purpose', async () => {
      const code = await sendAndRead();
      expect(await check(code, { purpose: 'phone-new' })).toEqual({ ok: false, reason: 'missing' });
      expect(await check(code)).toEqual({ ok: true });
    });

    it('rejects a code for another destination', async () => {
      const code = await sendAndRead();
      expect(await check(code, { to: '+4915112345678' })).toEqual({
        ok: false,
        reason: 'wrong',
        remaining: MAX_WRONG_TRIES - 1,
      });
      expect(await check(code)).toEqual({ ok: true });
    });

    it('refuses the code exactly at its 10-minute expiry (the boundary is not inclusive)', async () => {
      const code = await sendAndRead();
      clock.advance(CODE_TTL_MS);
      expect(await check(code)).toEqual({ ok: false, reason: 'expired' });
    });

    it('rejects a code for another subject (account)', async () => {
      const code = await sendAndRead();
      expect(await check(code, { subject: 'acc_000000000002' })).toEqual({ ok: false, reason: 'missing' });
      expect(await check(code)).toEqual({ ok: true });
    });

    it('accepts the code until just before 10 minutes and reports it expired after', async () => {
      const code = await sendAndRead();
      clock.advance(CODE_TTL_MS - 1);
      expect(await check(code)).toEqual({ ok: true });

      clock.advance(RESEND_COOLDOWN_MS);
      const second = await sendAndRead();
      clock.advance(CODE_TTL_MS + 1);
      expect(await check(second)).toEqual({ ok: false, reason: 'expired' });
      expect(await check(second)).toEqual({ ok: false, reason: 'missing' });
    });

    it('still accepts the right code after 4 wrong tries, counting the tries down', async () => {
      const code = await sendAndRead();
      for (let i = 1; i <= MAX_WRONG_TRIES - 1; i += 1) {
        expect(await check(another(code, i))).toEqual({
          ok: false,
          reason: 'wrong',
          remaining: MAX_WRONG_TRIES - i,
        });
      }
      expect(await check(code)).toEqual({ ok: true });
    });

    it('kills the code on the 5th wrong try: afterwards even the right code fails', async () => {
      const code = await sendAndRead();
      for (let i = 1; i < MAX_WRONG_TRIES; i += 1) await check(another(code, i));
      expect(await check(another(code, 99))).toEqual({ ok: false, reason: 'exhausted' });
      expect(await check(code)).toEqual({ ok: false, reason: 'missing' });
    });

    it('counts wrong tries from several processes together', async () => {
      const code = await sendAndRead();
      const elsewhere = make();
      await Promise.all(
        Array.from({ length: MAX_WRONG_TRIES }, (_, i) =>
          (i % 2 === 0 ? codes : elsewhere).check(
            'acc_000000000001',
            'password-reset',
            PHONE,
            another(code, i + 1),
          ),
        ),
      );
      expect(await check(code)).toEqual({ ok: false, reason: 'missing' });
    });

    it('answers malformed input with format and charges no try for it', async () => {
      const code = await sendAndRead();
      for (const input of ['', 'abc', '12345', '1234567', '12a456', '１２３４５６', '12 34 5']) {
        expect(await check(input)).toEqual({ ok: false, reason: 'format' });
      }
      for (let i = 1; i < MAX_WRONG_TRIES; i += 1) await check(another(code, i));
      expect(await check(code)).toEqual({ ok: true });
    });

    it('answers missing when no code was sent', async () => {
      expect(await check('123456')).toEqual({ ok: false, reason: 'missing' });
    });

    it('forgets a discarded code', async () => {
      const code = await sendAndRead();
      await codes.discard('acc_000000000001', 'password-reset');
      expect(await check(code)).toEqual({ ok: false, reason: 'missing' });
    });
  });

  describe('resending', () => {
    it('refuses a second code within 60 s, saying how many seconds are left', async () => {
      await sendAndRead();
      clock.advance(20_000);
      expect(await codes.send(request())).toEqual({ ok: false, reason: 'cooldown', seconds: 40 });
      clock.advance(39_500);
      expect(await codes.send(request())).toEqual({ ok: false, reason: 'cooldown', seconds: 1 });
      expect(delivery.sent).toHaveLength(1);
    });

    it('sends a new code after 60 s, and the new code replaces the old one', async () => {
      const first = await sendAndRead();
      clock.advance(RESEND_COOLDOWN_MS);
      const second = await sendAndRead();
      expect(delivery.codesTo(PHONE)).toEqual([first, second]);
      if (first !== second) {
        expect(await codes.check('acc_000000000001', 'password-reset', PHONE, first)).toMatchObject({
          ok: false,
          reason: 'wrong',
        });
      }
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, second)).toEqual({ ok: true });
    });

    it('ends the cool-down once the code was typed right (a wrong one leaves it); the hour still counts it', async () => {
      const first = await sendAndRead();
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, another(first))).toMatchObject({
        reason: 'wrong',
      });
      expect(await codes.send(request())).toMatchObject({ ok: false, reason: 'cooldown' });
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, first)).toEqual({ ok: true });
      expect(await kv.get(cooldownKey('ls:', PHONE, 'acc_000000000001', 'password-reset'))).toBeNull();
      // The next task that needs a code there does not wait, and both codes count towards the hour.
      const second = await sendAndRead();
      expect(delivery.codesTo(PHONE)).toEqual([first, second]);
      expect(await kv.get(`ls:code-hour:${PHONE}`)).toBe('2');
    });

    it('leaves the claim of a code being sent when an earlier code is typed right meanwhile', async () => {
      const first = await sendAndRead();
      clock.advance(RESEND_COOLDOWN_MS);
      // A new code for the same task is on its way (the gateway has not answered yet).
      let answer: () => void = () => {};
      const gateway = {
        send: () =>
          new Promise<void>((resolve) => {
            answer = resolve;
          }),
      };
      const slow = new CodeService({ kv, delivery: gateway, clock, secretKey: SECRET, log: silentLogger });
      const sending = slow.send(request());
      await new Promise((resolve) => setTimeout(resolve, 10));
      const cooldown = cooldownKey('ls:', PHONE, 'acc_000000000001', 'password-reset');
      expect(await kv.get(cooldown)).toMatch(/^sending:/);
      expect(await codes.check('acc_000000000001', 'password-reset', PHONE, first)).toEqual({ ok: true });
      expect(await kv.get(cooldown)).toMatch(/^sending:/);
      expect(await codes.send(request())).toMatchObject({ ok: false, reason: 'cooldown' });
      answer();
      expect(await sending).toMatchObject({ ok: true });
    });

    it('keeps the cool-down per purpose and destination', async () => {
      await sendAndRead();
      expect((await codes.send(request({ purpose: 'phone-new' }))).ok).toBe(true);
      expect((await codes.send(request({ channel: 'email', to: EMAIL }))).ok).toBe(true);
    });

    it(`caps codes to one destination at ${HOURLY_CAP} an hour, whoever asks`, async () => {
      for (let i = 0; i < HOURLY_CAP; i += 1) {
        // Different subjects and purposes still count against the same phone.
        expect((await codes.send(request({ subject: `acc_${i}`, purpose: i % 2 ? 'a' : 'b' }))).ok).toBe(
          true,
        );
        clock.advance(RESEND_COOLDOWN_MS);
      }
      expect(await codes.send(request({ subject: 'acc_new' }))).toEqual({ ok: false, reason: 'hourlyCap' });
      expect(delivery.sent).toHaveLength(HOURLY_CAP);
      // Another destination is unaffected.
      expect((await codes.send(request({ subject: 'acc_new', to: '+4915112345678' }))).ok).toBe(true);
    });

    it('opens the cap again an hour after the first code', async () => {
      for (let i = 0; i < HOURLY_CAP; i += 1) {
        await codes.send(request());
        clock.advance(RESEND_COOLDOWN_MS);
      }
      expect(await codes.send(request())).toEqual({ ok: false, reason: 'hourlyCap' });
      clock.advance(60 * 60_000 - HOURLY_CAP * RESEND_COOLDOWN_MS);
      expect((await codes.send(request())).ok).toBe(true);
    });
  });
});

describe('CodeService budgets: per requester, per destination, and /link apart', () => {
  let clock: ManualClock;
  let delivery: RecordingDelivery;
  let codes: CodeService;

  beforeEach(() => {
    clock = new ManualClock();
    delivery = new RecordingDelivery();
    codes = new CodeService({
      kv: new MemoryKv(clock),
      delivery,
      clock,
      secretKey: SECRET,
      log: silentLogger,
    });
  });

  /** A /link code as a chat that is not linked asks for it. */
  const link = (requester: string, overrides: Partial<CodeRequest> = {}) =>
    codes.send(request({ purpose: `link:${requester}`, requester, budget: 'link', ...overrides }));

  it('makes /link codes to one destination wait longer after each one: 60 s, 120 s, 240 s', async () => {
    expect((await link('tg:1')).ok).toBe(true);
    // Another chat asking for the same number waits too.
    expect(await link('tg:2')).toEqual({ ok: false, reason: 'cooldown', seconds: 60 });
    clock.advance(LINK_FIRST_DELAY_MS);
    expect((await link('tg:2')).ok).toBe(true);
    clock.advance(LINK_FIRST_DELAY_MS);
    expect(await link('tg:1')).toEqual({ ok: false, reason: 'cooldown', seconds: 60 });
    clock.advance(LINK_FIRST_DELAY_MS);
    expect((await link('tg:1')).ok).toBe(true);
    clock.advance(3 * LINK_FIRST_DELAY_MS);
    expect(await link('tg:3')).toEqual({ ok: false, reason: 'cooldown', seconds: 60 });
    clock.advance(LINK_FIRST_DELAY_MS);
    expect((await link('tg:3')).ok).toBe(true);
    expect(delivery.to(PHONE)).toHaveLength(4);
  });

  it(`sends at most ${LINK_HOURLY_CAP} /link codes to one destination an hour, whoever asks`, async () => {
    for (let i = 0; i < LINK_HOURLY_CAP; i += 1) {
      expect((await link(`tg:${i}`)).ok).toBe(true);
      clock.advance(LINK_FIRST_DELAY_MS * 2 ** i);
    }
    expect(await link('tg:new')).toEqual({ ok: false, reason: 'hourlyCap' });
    expect(delivery.to(PHONE)).toHaveLength(LINK_HOURLY_CAP);
    // Another destination has its own /link budget.
    expect((await link('tg:new', { to: '+4915112345678' })).ok).toBe(true);
  });

  it('never spends the owner’s budget of a destination on /link codes', async () => {
    for (let i = 0; i < LINK_HOURLY_CAP; i += 1) {
      await link(`tg:${i}`);
      clock.advance(LINK_FIRST_DELAY_MS * 2 ** i);
    }
    expect(await link('tg:more')).toEqual({ ok: false, reason: 'hourlyCap' });
    for (let i = 0; i < HOURLY_CAP; i += 1) {
      expect((await codes.send(request())).ok).toBe(true);
      clock.advance(RESEND_COOLDOWN_MS);
    }
    expect(await codes.send(request())).toEqual({ ok: false, reason: 'hourlyCap' });
  });

  it(`caps one requester at ${REQUESTER_HOURLY_CAP} codes an hour, to any destinations, without touching others`, async () => {
    const to = (i: number) => `+49151000000${String(i).padStart(2, '0')}`;
    for (let i = 0; i < REQUESTER_HOURLY_CAP; i += 1) {
      expect((await codes.send(request({ to: to(i), requester: 'tg:7' }))).ok).toBe(true);
    }
    const over = await codes.send(request({ to: to(99), requester: 'tg:7' }));
    expect(over).toEqual({ ok: false, reason: 'hourlyCap' });
    // The refused request spent nothing of the destination's budget, and starts no cool-down there.
    expect((await codes.send(request({ to: to(99), requester: 'tg:8' }))).ok).toBe(true);
    expect((await codes.send(request({ to: to(98) }))).ok).toBe(true);
    clock.advance(60 * 60_000);
    expect((await codes.send(request({ to: to(97), requester: 'tg:7' }))).ok).toBe(true);
  });

  it('spends neither the /link wait nor the /link budget when the provider refuses the message', async () => {
    delivery.failNext();
    expect(await link('tg:1')).toEqual({ ok: false, reason: 'deliveryFailed' });
    expect((await link('tg:1')).ok).toBe(true);
    for (let i = 1; i < LINK_HOURLY_CAP; i += 1) {
      clock.advance(LINK_FIRST_DELAY_MS * 2 ** (i - 1));
      expect((await link(`tg:${i + 1}`)).ok).toBe(true);
    }
    expect(delivery.to(PHONE)).toHaveLength(LINK_HOURLY_CAP);
  });
});

describe.each(backends)('CodeService on $name', (backend) => {
  const store = backend.use();
  const setup = () => {
    const delivery = new RecordingDelivery();
    const codes = new CodeService({
      kv: store.kv,
      delivery,
      clock: store.clock,
      secretKey: SECRET,
      log: silentLogger,
      prefix: store.prefix,
    });
    const elsewhere = new CodeService({
      kv: store.peer,
      delivery,
      clock: store.clock,
      secretKey: SECRET,
      log: silentLogger,
      prefix: store.prefix,
    });
    return { delivery, codes, elsewhere };
  };

  it('accepts the right code once, in whichever process checks it', async () => {
    const { delivery, codes, elsewhere } = setup();
    await codes.send(request());
    const code = delivery.lastCodeTo(PHONE);
    const results = await Promise.all([
      codes.check('acc_000000000001', 'password-reset', PHONE, code),
      elsewhere.check('acc_000000000001', 'password-reset', PHONE, code),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await codes.check('acc_000000000001', 'password-reset', PHONE, code)).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('kills the code after 5 wrong tries', async () => {
    const { delivery, codes } = setup();
    await codes.send(request());
    const code = delivery.lastCodeTo(PHONE);
    const outcomes = [];
    for (let i = 1; i <= MAX_WRONG_TRIES; i += 1) {
      outcomes.push(await codes.check('acc_000000000001', 'password-reset', PHONE, another(code, i)));
    }
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual([
      'wrong',
      'wrong',
      'wrong',
      'wrong',
      'exhausted',
    ]);
    expect(await codes.check('acc_000000000001', 'password-reset', PHONE, code)).toMatchObject({ ok: false });
  });

  it('reports the resend cool-down from the store’s ttl', async () => {
    const { codes } = setup();
    expect((await codes.send(request())).ok).toBe(true);
    const again = await codes.send(request());
    expect(again).toMatchObject({ ok: false, reason: 'cooldown' });
    const seconds = again.ok === false && again.reason === 'cooldown' ? again.seconds : 0;
    // A whole minute, give or take the time the two calls took on a busy machine.
    expect(seconds).toBeGreaterThanOrEqual(55);
    expect(seconds).toBeLessThanOrEqual(60);
  });

  it('takes the cool-down and the hour in one step, the cool-down tagged with the hour key (one cluster slot)', async () => {
    const { codes } = setup();
    expect((await codes.send(request())).ok).toBe(true);
    const hour = `${store.prefix}code-hour:${PHONE}`;
    expect(await store.kv.get(hour)).toBe('1');
    const cooldown = cooldownKey(store.prefix, PHONE, 'acc_000000000001', 'password-reset');
    expect(cooldown.startsWith(`${store.prefix}{${hour}}:cd:`)).toBe(true);
    expect(await store.kv.get(cooldown)).toBe('1');
    // Two other purposes at once: each has its own cool-down, both spend the destination's hour.
    const [a, b] = await Promise.all([
      codes.send(request({ purpose: 'phone-old' })),
      codes.send(request({ purpose: 'phone-new' })),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(await store.kv.get(hour)).toBe('3');
  });

  it('keeps the cool-down of an address with a brace in it apart from its hour, and still enforces both', async () => {
    const { codes } = setup();
    const odd = request({ channel: 'email', to: 'a{b}c@example.com', shownAs: 'a***@example.com' });
    expect((await codes.send(odd)).ok).toBe(true);
    expect(await codes.send(odd)).toMatchObject({ ok: false, reason: 'cooldown' });
    expect(await store.kv.get(`${store.prefix}code-hour:a{b}c@example.com`)).toBe('1');
    expect(
      await store.kv.get(`${store.prefix}{code:acc_000000000001}:cooldown:password-reset:a{b}c@example.com`),
    ).toBe('1');
  });

  it('stores the code record only as a hash', async () => {
    const { delivery, codes } = setup();
    await codes.send(request());
    const code = delivery.lastCodeTo(PHONE);
    const raw = await store.kv.get(`${store.prefix}{code:acc_000000000001}:code:password-reset`);
    expect(raw).not.toBeNull();
    expect(containsCode(raw ?? '', code)).toBe(false);
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43} \d{13} 0$/);
  });
});
