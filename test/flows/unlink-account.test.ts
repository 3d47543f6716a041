/**
 * The unlink-account flow end to end through the real Engine and services (in-memory store, manual clock,
 * recording SMS/email provider). The seeded account is linked to user u1.
 */
import { describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { createFlowHarness, type FlowHarness, keys } from '../helpers/flow-harness.ts';

async function linkedAccountId(h: FlowHarness, userId = 'u1'): Promise<string | null> {
  return (await h.services.accounts.findByLink('console', userId))?.id ?? null;
}

describe('unlink this chat', () => {
  it('is the last entry of the linked menu', async () => {
    const h = await createFlowHarness();
    const [menu] = await h.chat().command('menu');
    const last = menu?.choices?.at(-1);
    expect(last?.value).toBe('menu:unlink-account');
    expect(t('en', last?.label ?? 'common.menu')).toBe('Unlink this chat');
  });

  it('asks Yes or No first, and No keeps the link', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    expect(await chat.command('unlink')).toEqual([
      {
        key: 'unlink.confirm',
        input: 'choice',
        choices: [
          { value: 'yes', label: 'common.choiceYes' },
          { value: 'no', label: 'common.choiceNo' },
        ],
      },
    ]);
    expect(await chat.choose('no')).toEqual([{ key: 'unlink.kept' }]);
    expect(await linkedAccountId(h)).toBe(h.accountId);
    expect(h.delivery.sent).toEqual([]);
  });

  it('on Yes unlinks the chat, records the event, notifies phone and email, and shows the unlinked menu', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('unlink');
    expect(await chat.choose('yes')).toEqual([{ key: 'unlink.done' }]);
    expect(await linkedAccountId(h)).toBeNull();
    expect((await h.account()).links).toEqual([]);
    expect((await h.services.accounts.events(h.accountId))[0]).toMatchObject({
      type: 'chat.unlinked',
      channel: 'console',
    });
    expect(h.delivery.to(h.phone).map((m) => m.text)).toEqual([
      t('en', 'unlink.noticeSms', { channel: 'console' }),
    ]);
    expect(h.delivery.to(h.email ?? '').map((m) => m.subject)).toEqual([
      t('en', 'unlink.noticeEmailSubject'),
    ]);
    const [menu] = await chat.command('menu');
    // Choosing the language needs no link either.
    expect(menu?.choices?.map((c) => c.value)).toEqual(['menu:link-account', 'menu:language']);
    expect(await chat.command('password')).toEqual([{ key: 'common.needLink' }]);
  });

  it('understands a typed "yes"', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('unlink');
    expect(keys(await chat.text('yes'))).toEqual(['unlink.done']);
    expect(await linkedAccountId(h)).toBeNull();
  });

  it('asks again when the answer is neither Yes nor No', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('unlink');
    expect(keys(await chat.text('maybe'))).toEqual(['common.pickOne', 'unlink.confirm']);
    expect(await linkedAccountId(h)).toBe(h.accountId);
  });

  it('is refused in a chat that is not linked, with a pointer to /link', async () => {
    const h = await createFlowHarness();
    expect(await h.chat('c2', { userId: 'u2' }).command('unlink')).toEqual([{ key: 'common.needLink' }]);
  });

  it('says so when the chat was unlinked in the meantime, and sends no notice', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    await chat.command('unlink');
    await h.services.accounts.unlink('console', 'u1');
    expect(await chat.choose('yes')).toEqual([{ key: 'unlink.notLinked' }]);
    expect(h.delivery.sent).toEqual([]);
  });

  it('leaves the other chats of the account linked', async () => {
    const h = await createFlowHarness();
    await h.services.accounts.link(h.accountId, 'telegram', '777', h.clock.now());
    const chat = h.chat();
    await chat.command('unlink');
    await chat.choose('yes');
    expect((await h.account()).links.map((l) => `${l.channel}:${l.userId}`)).toEqual(['telegram:777']);
    expect((await h.services.accounts.findByLink('telegram', '777'))?.id).toBe(h.accountId);
  });
});
