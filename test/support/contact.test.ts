/** SUPPORT_CONTACT appears wherever lockstep says "contact support": in the chat and in SMS and email notices. */
import { afterEach, describe, expect, it } from 'vitest';
import { type MessageKey, setMessageDefaults, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';

const CONTACT = 'help@example.com or +1 555 0100 (Mon-Fri 9-17)';

afterEach(() => setMessageDefaults({}));

describe('SUPPORT_CONTACT', () => {
  it('is in every sentence that says "contact support", and a neutral default without it', () => {
    const saying = (Object.keys(en) as MessageKey[]).filter((key) => /contact support/i.test(en[key]));
    expect(saying.length).toBeGreaterThanOrEqual(20);
    for (const key of saying) expect(en[key], key).toContain('{contact}');
    setMessageDefaults({ contact: CONTACT });
    for (const key of saying) expect(t('en', key), key).toContain(CONTACT);
    setMessageDefaults({});
    for (const key of saying) expect(t('en', key), key).toContain(t('en', 'support.defaultContact'));
    // A caller's own value still wins.
    expect(t('en', 'password.noticeSms', { contact: 'x@example.com' })).toContain('x@example.com');
  });

  it('reaches the SMS and the email of a real notice, and a chat lock-out message', async () => {
    setMessageDefaults({ contact: CONTACT });
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('password');
    expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
    await chat.text('Quiet-Harbour-Maple-77');
    expect(keys(await chat.text('Quiet-Harbour-Maple-77'))).toEqual(['password.changed']);
    await h.services.notices.drain();
    const notices = h.delivery.sent.filter((m) => m.text.includes('password of your'));
    expect(notices.map((m) => m.channel).sort()).toEqual(['email', 'sms']);
    for (const notice of notices) expect(notice.text).toContain(CONTACT);
    expect(t('en', 'prove.locked', { minutes: 15 })).toContain(CONTACT);
  });
});
