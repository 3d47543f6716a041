/**
 * Whole in every language: every task is walked in every language through the engine, and each turn is
 * rendered the way the console adapter renders it. No raw key and no `{placeholder}` may show, and outside
 * English no reply may be the English sentence (a reply identical to the English rendering of the same
 * key and values is allowed only when it holds no English words: "SMS", a number, a product name).
 *
 * This fails until every catalog is complete; it names each message that is still English.
 */
import { describe, expect, it } from 'vitest';
import { render } from '../../adapters/console/console-adapter.ts';
import { SUPPORT_CHOICE } from '../../flows/ports.ts';
import { LOCALES, type Locale, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import type { MessageKey } from '../../src/core/messages.ts';
import type { Reply } from '../../src/core/reply.ts';
import { createFlowHarness, type FlowHarness } from '../helpers/flow-harness.ts';
import { authenticator } from '../helpers/two-factor.ts';

const NEW_PASSWORD = 'Harbor-Kettle-73';
const NEW_PHONE = '+86 139 0013 9000';
const NEW_EMAIL = 'new.person@example.org';
const KEYS = new Set(Object.keys(en));
const STEPS = 14;
const STRATEGIES = 3;
/** The walk shows at least this many distinct messages per language. */
const MIN_KEYS_SHOWN = 60;

/** Three or more Latin words in a row: an English sentence, not a token like "SMS" or "lockstep". */
const ENGLISH_WORDS = /[A-Za-z]{2,}[ ,'-]+[A-Za-z]{2,}[ ,'-]+[A-Za-z]{2,}/;

interface Finding {
  readonly locale: Locale;
  readonly flow: string;
  readonly what: string;
}

/**
 * The answer a walker gives to a prompt: a choice by its value, or the secret or text the prompt asks for.
 * Strategy 0 answers right, 1 first answers each question wrongly once, 2 takes the prompts' side choices.
 */
async function answerFor(
  h: FlowHarness,
  flow: string,
  prompt: Reply,
  strategy: number,
  step: number,
  memory: { readonly wrongOnce: Set<string>; totpKey: string | null },
): Promise<string | { choice: string }> {
  const wrongOnce = memory.wrongOnce;
  const choices = (prompt.choices ?? []).filter(
    (choice) => choice.value !== SUPPORT_CHOICE && (strategy === 2 || choice.value !== 'resend'),
  );
  const pick = () => ({ choice: choices[(strategy + step) % choices.length]?.value ?? '' });
  if (prompt.input === 'choice') return choices.length > 0 ? pick() : 'hello';
  if (strategy === 2 && choices.length > 0 && step % 2 === 0) return pick();
  const hint = `${prompt.key} ${prompt.field?.label ?? ''}`;
  const wrong = strategy === 1 && !wrongOnce.has(prompt.key);
  if (wrong) wrongOnce.add(prompt.key);
  if (prompt.input === 'secret' && /password/i.test(prompt.key) && !/new|repeat/i.test(hint))
    return wrong ? 'Wrong-Guess-1' : h.password;
  if (/appCode|twofa|2fa/i.test(hint))
    return wrong || memory.totpKey === null ? '000000' : authenticator(memory.totpKey, h.clock).code();
  if (/code/i.test(hint)) {
    if (wrong) return '111111';
    const to = h.delivery.sent.at(-1)?.to ?? h.phone;
    return h.delivery.codesTo(to).at(-1) ?? '000000';
  }
  if (/new|repeat/i.test(hint) && prompt.input === 'secret') return wrong ? 'short' : NEW_PASSWORD;
  if (/phone|destination/i.test(hint)) return wrong ? '12' : flow === 'link-account' ? h.phone : NEW_PHONE;
  if (/email|address/i.test(hint)) return wrong ? 'not an address' : NEW_EMAIL;
  if (prompt.input === 'secret') return wrong ? 'Wrong-Guess-1' : h.password;
  return 'hello';
}

/** The message keys each language's walk showed (its coverage). */
const seenKeys = new Map<Locale, Set<string>>();

/** The reply would read as the English sentence (same text as English, with English words in it). */
function stillEnglish(
  locale: Locale,
  key: MessageKey,
  params: Reply['params'],
  translate: typeof t = t,
): boolean {
  if (key.startsWith('language.name.')) return false;
  const english = t('en', key, params);
  return translate(locale, key, params) === english && ENGLISH_WORDS.test(english);
}

/** Raw keys and unfilled placeholders in what the console shows. */
function leftovers(shown: string): string[] {
  return [
    ...(shown.match(/\b[a-z][\w-]*(?:\.[\w-]+)+\b/g) ?? [])
      .filter((token) => KEYS.has(token))
      .map((token) => `raw key ${token}`),
    ...(shown.match(/\{[A-Za-z]+\}/g) ?? []).map((hole) => `placeholder ${hole}`),
  ];
}

/** Checks one turn as the console shows it, and each reply against its English rendering. */
async function check(
  locale: Locale,
  flow: string,
  replies: readonly Reply[],
  findings: Finding[],
): Promise<void> {
  const shown = await render(replies, locale);
  const seen = seenKeys.get(locale) ?? new Set<string>();
  seenKeys.set(locale, seen);
  for (const reply of replies) seen.add(reply.key);
  for (const what of leftovers(shown)) findings.push({ locale, flow, what });
  if (locale === 'en') return;
  const texts: { key: MessageKey; params: Reply['params'] }[] = [
    ...replies.map((reply) => ({ key: reply.key, params: reply.params })),
    ...replies.flatMap((reply) =>
      (reply.choices ?? []).map((choice) => ({ key: choice.label, params: choice.params })),
    ),
  ];
  for (const { key, params } of texts) {
    if (stillEnglish(locale, key, params)) findings.push({ locale, flow, what: `English: ${key}` });
  }
}

describe('the checks of this walk', () => {
  it('find an untranslated sentence, a raw key and an unfilled placeholder, and allow short tokens', () => {
    const untranslated: typeof t = (_locale, key, params) => t('en', key, params);
    expect(stillEnglish('es', 'common.cancelled', {}, untranslated)).toBe(true);
    expect(stillEnglish('es', 'common.cancelled', {})).toBe(false);
    expect(stillEnglish('es', 'language.name.en', {}, untranslated)).toBe(false);
    expect(stillEnglish('es', 'common.choiceYes', {}, untranslated)).toBe(false);
    expect(leftovers('Hola common.menu y {code}')).toEqual(['raw key common.menu', 'placeholder {code}']);
    expect(leftovers('Escribe a ana@example.com, 3.5')).toEqual([]);
  });
});

async function walk(
  locale: Locale,
  flow: { id: string; command: string; audience: string },
  strategy: number,
) {
  const findings: Finding[] = [];
  const h = await createFlowHarness();
  const chat = h.chat(`c-${locale}-${strategy}`, flow.audience === 'unlinked' ? { userId: 'stranger' } : {});
  const send = (action: Parameters<typeof chat.send>[0]) =>
    h.engine.handle({
      chat: chat.ref,
      userId: flow.audience === 'unlinked' ? 'stranger' : 'u1',
      isPrivate: true,
      locale,
      action,
    });
  const memory = { wrongOnce: new Set<string>(), totpKey: null as string | null };
  let result = await send({ type: 'command', command: flow.command, args: '' });
  await check(locale, flow.id, result.replies, findings);
  for (let step = 0; step < STEPS; step += 1) {
    const prompt = result.replies.findLast((reply) => reply.input !== undefined && reply.input !== 'none');
    if (!prompt) break;
    const scan = result.replies.find((reply) => reply.key === 'twofa.scan');
    if (scan) memory.totpKey = String(scan.params?.key ?? '').replaceAll(' ', '');
    const answer = await answerFor(h, flow.id, prompt, strategy, step, memory);
    if (process.env.WALK_DEBUG)
      console.log(flow.id, strategy, JSON.stringify(answer), result.replies.map((r) => r.key).join(' '));
    result = await send(
      typeof answer === 'string' ? { type: 'text', text: answer } : { type: 'choice', value: answer.choice },
    );
    await check(locale, flow.id, result.replies, findings);
  }
  // The SMS and emails of the walk, in the account's language when it chose one.
  return findings;
}

describe('every task in every language', () => {
  for (const locale of LOCALES) {
    it(`${locale}: every task, its errors and its menu show no raw key and no English sentence`, {
      timeout: 240_000,
    }, async () => {
      const h = await createFlowHarness();
      const findings: Finding[] = [];
      const menu = await h.engine.handle({
        chat: h.chat('menu').ref,
        userId: 'u1',
        isPrivate: true,
        locale,
        action: { type: 'command', command: 'start', args: '' },
      });
      await check(locale, 'menu', menu.replies, findings);
      for (const command of ['help', 'cancel', 'nonsense']) {
        const result = await h.engine.handle({
          chat: h.chat('menu').ref,
          userId: 'u1',
          isPrivate: true,
          locale,
          action: { type: 'command', command, args: '' },
        });
        await check(locale, command, result.replies, findings);
      }
      for (const flow of h.engine.flowDefinitions) {
        for (let strategy = 0; strategy < STRATEGIES; strategy += 1)
          findings.push(...(await walk(locale, flow, strategy)));
      }
      const distinct = [...new Set(findings.map((f) => `${f.flow}: ${f.what}`))].sort();
      expect(distinct).toEqual([]);
      // The walk went through the tasks, not just their first question.
      expect(seenKeys.get(locale)?.size ?? 0).toBeGreaterThan(MIN_KEYS_SHOWN);
    });
  }

  it('the SMS and email texts are in the account language', async () => {
    const h = await createFlowHarness();
    for (const locale of LOCALES) {
      h.delivery.clear();
      await h.services.accounts.update(h.accountId, (account) => ({ ...account, locale }));
      await h.services.passwords.sendCode(h.accountId, `every-language-${locale}`, 'phone');
      const [message] = h.delivery.keyed;
      const english = t('en', message?.text.key ?? 'codes.smsText', message?.text.params);
      const rendered = h.delivery.sent[0]?.text ?? '';
      if (locale === 'en') expect(rendered).toBe(english);
      else expect(rendered, `${locale} code SMS`).not.toBe(english);
    }
  });
});
