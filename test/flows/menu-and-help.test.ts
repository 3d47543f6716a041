/**
 * What the menu and /help say: the menu says where the account stands where a task can tell
 * ("Two-step verification: on"), and /help outside a task lists the tasks this chat can start.
 */
import { describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { createFlowHarness, keys } from '../helpers/flow-harness.ts';
import { turnOnTwoFactor } from '../helpers/two-factor.ts';

describe('the menu and /help', () => {
  it('labels two-step verification by where it stands: "Turn on ..." while off, "...: on" once on', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const [off] = await chat.command('menu');
    expect(off?.choices).toContainEqual({ value: 'menu:2fa', label: 'menu.twofa' });
    await turnOnTwoFactor(h);
    const [on] = await chat.command('menu');
    expect(on?.choices).toContainEqual({ value: 'menu:2fa', label: 'menu.twofaOn' });
    expect(t('en', 'menu.twofaOn')).toBe('Two-step verification: on');
    // The same button leads to what can be done with it on: turn it off, or new recovery codes.
    expect(keys(await chat.choose('menu:2fa'))).toEqual(['twofa.alreadyOn']);
  });

  it('/help outside a task lists the tasks with their commands; inside a task it repeats the question', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    const replies = await chat.command('help');
    expect(keys(replies)).toEqual(['common.help', 'common.helpTasks']);
    const listed = t('en', 'common.helpTasks', replies[1]?.params);
    expect(listed).toContain(
      t('en', 'common.helpTask', { command: 'password', label: t('en', 'menu.password') }),
    );
    expect(listed).toContain(
      t('en', 'common.helpTask', { command: 'checkup', label: t('en', 'menu.checkup') }),
    );
    // An unlinked chat is offered what it can do: linking (and choosing a language), nothing else.
    const stranger = h.chat('c-stranger', { userId: 'u-stranger' });
    const theirs = t('en', 'common.helpTasks', (await stranger.command('help'))[1]?.params);
    expect(theirs).toContain('/link');
    expect(theirs).not.toContain('/password');

    await chat.command('password');
    expect(keys(await chat.command('help'))).toEqual(['common.help', 'password.askCurrent']);
  });
});
