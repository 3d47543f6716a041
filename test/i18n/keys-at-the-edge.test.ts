/**
 * Services hand the delivery layer keys with values and a language; only the edge renders: the SMS and
 * email senders, and the notice outbox when a queued notice goes out.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verificationMessage } from '../../src/accounts/email-verification.ts';
import { ownContacts, sendNotice } from '../../src/accounts/notices.ts';
import { availableLocales, t } from '../../src/catalog/catalog.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Delivery, OutgoingMessage, RenderedMessage } from '../../src/delivery/delivery.ts';
import { renderOutgoing } from '../../src/delivery/render.ts';
import type { Kv, WriteOptions } from '../../src/kv/kv.ts';
import { MemoryKv } from '../../src/kv/memory-kv.ts';
import { silentLogger } from '../../src/log.ts';
import { NoticeOutbox } from '../../src/notices/outbox.ts';
import { createFlowHarness } from '../helpers/flow-harness.ts';

const spanish = availableLocales().includes('es') ? 'es' : 'en';

describe('keys at the edge', () => {
  it('the notice outbox stores keys and values, and renders them in the account language when it sends', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const memory = new MemoryKv(clock);
    const stored: string[] = [];
    const kv = new Proxy(memory, {
      get(target, name, receiver) {
        if (name === 'schedule')
          return (key: string, member: string, dueAt: number) => {
            stored.push(member);
            return target.schedule(key, member, dueAt);
          };
        if (name === 'scheduleAll' && target.scheduleAll)
          return (key: string, entries: readonly [string, number][], options?: WriteOptions) => {
            stored.push(...entries.map(([member]) => member));
            return target.scheduleAll?.(key, entries, options);
          };
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Kv;
    const sent: RenderedMessage[] = [];
    const provider: Delivery = {
      async send(message: OutgoingMessage) {
        sent.push(renderOutgoing(message));
      },
    };
    const outbox = new NoticeOutbox({ kv, delivery: provider, clock, log: silentLogger, retryMs: 1_000 });
    await sendNotice(
      { delivery: outbox.delivery, log: silentLogger },
      ownContacts({ id: 'acc_1', phone: '+8613800138000', email: 'ana@example.com', locale: spanish }),
      {
        sms: 'link.noticeSms',
        emailSubject: 'link.noticeEmailSubject',
        emailText: 'link.noticeEmailText',
        params: { channel: { key: 'link.channel.telegram' } },
      },
    );
    await outbox.idle();
    expect(stored).toHaveLength(2);
    for (const member of stored) {
      expect(member).toContain('"key":"link.notice');
      expect(member).toContain(`"locale":"${spanish}"`);
      // No rendered sentence is queued.
      expect(member).not.toContain(t('en', 'link.noticeSms', { channel: 'Telegram' }).slice(0, 20));
    }
    const params = { channel: { key: 'link.channel.telegram' as const } };
    expect(sent.map((m) => m.text).sort()).toEqual(
      [t(spanish, 'link.noticeSms', params), t(spanish, 'link.noticeEmailText', params)].sort(),
    );
    expect(sent.find((m) => m.channel === 'email')?.subject).toBe(
      t(spanish, 'link.noticeEmailSubject', params),
    );
  });

  it('a code SMS is handed over as a key, a code and the account language, and rendered by the sender', async () => {
    const h = await createFlowHarness();
    await h.services.accounts.update(h.accountId, (account) => ({ ...account, locale: spanish }));
    await h.services.passwords.sendCode(h.accountId, 'password-reset', 'phone');
    const [keyed] = h.delivery.keyed;
    expect(keyed).toMatchObject({
      channel: 'sms',
      to: h.phone,
      locale: spanish,
      text: { key: 'codes.smsText' },
    });
    const code = h.delivery.lastCodeTo(h.phone);
    expect(h.delivery.to(h.phone)[0]?.text).toBe(t(spanish, 'codes.smsText', { code }));
  });

  it('the verification email is keys; its HTML part is made at the edge, the link clickable, the code in bold', () => {
    const link = 'https://lockstep.example/verify-email?token=abc&x=1';
    const rendered = renderOutgoing({
      channel: 'email',
      to: 'ana@example.com',
      locale: 'en',
      ...verificationMessage('482913', link),
    });
    expect(rendered.subject).toBe(t('en', 'email.verifySubject'));
    expect(rendered.text).toBe(t('en', 'email.verifyText', { code: '482913', link }));
    expect(rendered.html).toContain('<a href="https://lockstep.example/verify-email?token=abc&amp;x=1">');
    expect(rendered.html).toContain('<strong>482913</strong>');
  });

  it('no service renders English: t("en", ...) appears only at the edges', async () => {
    const root = join(import.meta.dirname, '../../src');
    const services = [
      'accounts',
      'codes',
      'linking',
      'notices',
      'delivery',
      'composition',
      'engine',
      'twofa',
    ];
    const found: string[] = [];
    for (const dir of services) {
      for (const file of await readdir(join(root, dir), { recursive: true })) {
        if (!file.endsWith('.ts')) continue;
        const text = await readFile(join(root, dir, file), 'utf8');
        if (/\bt\(\s*'en'/.test(text)) found.push(`${dir}/${file}`);
      }
    }
    expect(found).toEqual([]);
  });
});
