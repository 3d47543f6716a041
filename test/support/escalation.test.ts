/**
 * Escalations end to end: a dead end (the phone is lost and the account has no email) hands the chat to a
 * person with the task, its step and a transcript redacted at capture; the bot stays silent in every
 * process while the person owns the chat; the agent reads and resolves it over HTTP, with a message and
 * a new handoff that opens in the same chat; the webhook tells each step, signed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { verifyWebhookSignature } from '../../src/delivery/signed-webhook.ts';
import { connectRedis } from '../helpers/redis.ts';
import {
  CONTACT,
  chatOf,
  createWorld,
  EMAIL,
  expectNoSecrets,
  keysOf,
  PASSWORD,
  PHONE,
  WEBHOOK_SECRET,
  type World,
} from './world.ts';

const redis = connectRedis();
const worlds: World[] = [];
afterEach(async () => {
  while (worlds.length > 0) await worlds.pop()?.close();
});

const NEW_EMAIL = 'alice.new@example.org';

describe('escalation to a person', () => {
  it('escalates a dead end with a redacted transcript, keeps every process quiet, and resolves with a handoff', async () => {
    const w = await createWorld(redis, { email: null });
    worlds.push(w);
    await w.services.accounts.link(w.accountId, 'console', 'u1', w.clock.now());
    const other = w.anotherProcess();
    const chat = chatOf(w.engine, { channel: 'console', chatId: 'c1' }, 'u1');

    // The phone task: a code to the phone is sent, the user types two wrong codes, then says they cannot
    // use the phone. Without an email that is a dead end: a person takes over.
    // Without an email the checkup's tip comes first; "Change the phone number now" goes on.
    expect(keysOf(await chat.command('phone'))).toEqual(['checkup.phoneTip']);
    expect(keysOf(await chat.choose('phone'))).toEqual(['phone.intro']);
    expect(keysOf(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    const sent = w.delivery.lastCodeTo(PHONE);
    const wrong = [sent === '482913' ? '482914' : '482913', 'my-password-is-Hunter2!'];
    for (const secret of [...wrong, sent]) w.secrets.add(secret);
    expect(keysOf(await chat.text(wrong[0] ?? ''))).toEqual(['codes.wrong', 'codes.askCode']);
    expect(keysOf(await chat.text(wrong[1] ?? ''))).toEqual(['codes.format', 'codes.askCode']);
    expect(keysOf(await chat.choose('other'))).toEqual(['prove.pickDestination']);
    const handed = await chat.choose('noAccess');
    expect(keysOf(handed)).toEqual(['prove.needSupport', 'support.escalated']);
    expect(handed[1]?.params).toEqual({ contact: CONTACT });

    // Silent while the person owns the chat: this process and another one, whatever is typed.
    for (const engine of [w.engine, other.engine]) {
      const here = chat.via(engine);
      for (const answer of [
        await here.command('password'),
        await here.text('hello?'),
        await here.command('menu'),
      ]) {
        expect(answer).toEqual([{ key: 'support.withPerson', params: { contact: CONTACT } }]);
      }
    }
    expect(w.delivery.to(PHONE)).toHaveLength(1);

    // The agent reads it over HTTP.
    const agent = await w.key(
      ['escalation:read', 'escalation:write', 'handoff:write', 'handoff:read'],
      'Agent Ada',
    );
    const list = await w.api('GET', '/api/escalations?status=open', { key: agent });
    expect(list.status).toBe(200);
    expect(list.json.escalations).toHaveLength(1);
    const [summary] = list.json.escalations;
    expect(summary).toMatchObject({
      status: 'open',
      channel: 'console',
      accountId: w.accountId,
      flow: 'change-phone',
      reason: 'noAccess',
    });
    expect(summary.step).toEqual(expect.stringContaining('proving'));
    expect(summary.transcript).toBeUndefined();
    const one = await w.api('GET', `/api/escalations/${summary.id}`, { key: agent });
    // The last 10 lines, each secret typed at a secret prompt redacted when it was captured.
    expect(
      one.json.transcript.map((line: { from: string; text: string }) => `${line.from}:${line.text}`),
    ).toEqual([
      'user:[redacted]',
      'bot:codes.wrong',
      'bot:codes.askCode',
      'user:[redacted]',
      'bot:codes.format',
      'bot:codes.askCode',
      'user:choice:other',
      'bot:prove.pickDestination',
      'user:choice:noAccess',
      'bot:prove.needSupport',
    ]);
    expectNoSecrets('the escalation', list.text + one.text, w.secrets);

    // Resolved with a message and a handoff into adding an email: the chat is the bot's again, the message
    // arrives, and the handoff opens right there.
    const resolved = await w.api('POST', `/api/escalations/${summary.id}/resolve`, {
      key: agent,
      body: { message: 'We checked your ID. Please add an email first.', handoff: { flow: 'email' } },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.json.escalation).toMatchObject({ status: 'resolved', resolvedBy: 'Agent Ada' });
    expect(resolved.json.handoff).toMatchObject({
      status: 'opened',
      discordCommand: expect.stringMatching(/^\/recover code:ho-/),
    });
    expect(w.pushed.get('console:c1')?.map(keysOf)).toEqual([
      ['support.agentMessage', 'support.releasedWithHandoff'],
      ['handoff.openedLinked', 'email.askPassword'],
    ]);
    expect(w.pushed.get('console:c1')?.[0]?.[0]?.params).toEqual({
      message: 'We checked your ID. Please add an email first.',
    });
    const again = await w.api('POST', `/api/escalations/${summary.id}/resolve`, { key: agent, body: {} });
    expect([again.status, again.json.error.code]).toEqual([409, 'not_open']);

    // The user does the task in the chat, through the other process.
    const there = chat.via(other.engine);
    expect(keysOf(await there.text(PASSWORD))).toEqual(['email.askAddressAdd']);
    expect(keysOf(await there.text(NEW_EMAIL))).toEqual(expect.arrayContaining(['email.sentCodeOnly']));
    const emailCode = w.delivery.lastCodeTo(NEW_EMAIL);
    w.secrets.add(emailCode);
    expect(keysOf(await there.text(emailCode))).toEqual(expect.arrayContaining(['handoff.completed']));
    expect((await w.account()).email).toBe(NEW_EMAIL);
    const handoff = await w.api('GET', `/api/handoffs/${resolved.json.handoff.id}`, { key: agent });
    expect(handoff.json).toMatchObject({
      status: 'completed',
      escalationId: summary.id,
      flow: 'change-email',
    });

    // The webhook: opened, then the handoff's statuses, then resolved; all signed.
    await w.support.webhook.idle();
    await other.support.webhook.idle();
    const types = w.receiver
      .accepted()
      .map((d) => `${d.body.type}${d.body.data.status ? `:${d.body.data.status}` : ''}`);
    expect(types).toEqual([
      'escalation.opened',
      'handoff.status:pending',
      'escalation.resolved',
      'handoff.status:opened',
      'handoff.status:completed',
    ]);
    for (const d of w.receiver.accepted()) {
      expect(
        verifyWebhookSignature(
          WEBHOOK_SECRET,
          d.headers['x-lockstep-timestamp'] as string,
          d.raw,
          d.headers['x-lockstep-signature'] as string,
          { nowMs: w.clock.now() },
        ),
      ).toBe(true);
    }
    expectNoSecrets(
      'the webhook',
      w.receiver
        .accepted()
        .map((d) => d.raw)
        .join('\n'),
      w.secrets,
    );
    const actions = (await w.support.audit.list({ limit: 100 }))
      .map((e) => `${e.action}:${e.actor.kind}`)
      .reverse();
    expect(actions).toEqual(
      expect.arrayContaining([
        'escalation.opened:bot',
        'escalation.read:key',
        'escalation.resolved:key',
        'handoff.created:key',
      ]),
    );
    expect(t('en', 'support.withPerson', { contact: CONTACT })).toContain(CONTACT);
    expect(EMAIL).not.toBe(NEW_EMAIL);
  });

  it('refuses a handoff when the escalated chat is not linked to an account', async () => {
    const w = await createWorld(redis);
    worlds.push(w);
    const stranger = chatOf(w.engine, { channel: 'telegram', chatId: '7001' });
    expect(keysOf(await stranger.command('support'))).toEqual(['support.escalated']);
    const agent = await w.key(['escalation:read', 'escalation:write', 'handoff:write']);
    const [escalation] = (await w.api('GET', '/api/escalations', { key: agent })).json.escalations;
    expect(escalation).toMatchObject({ accountId: null, flow: null, reason: 'asked', channel: 'telegram' });
    const refused = await w.api('POST', `/api/escalations/${escalation.id}/resolve`, {
      key: agent,
      body: { handoff: { flow: 'change-password' } },
    });
    expect([refused.status, refused.json.error.code]).toEqual([409, 'no_account']);
    const resolved = await w.api('POST', `/api/escalations/${escalation.id}/resolve`, {
      key: agent,
      body: { message: 'Please send /link first.' },
    });
    expect(resolved.status).toBe(200);
    expect(keysOf(await stranger.command('menu'))).toEqual(['common.menu']);
  });
});
