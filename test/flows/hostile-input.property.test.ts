/**
 * Hostile input in every waiting state of every task, as properties (fast-check) over the real engine on
 * a real Redis: each task is walked from its command through every choice and every good answer
 * (`HostileWorld.explore`), and in each waiting state it reaches, the very same stored state (every key
 * restored from a DUMP) is attacked with random and hostile input: empty text, 100 KB, control
 * characters and NUL, emoji and right-to-left text, HTML/Markdown/SQL-looking text, forged buttons (values
 * that do not exist, old ones from other tasks and steps), commands with junk arguments, another task's
 * commands. Properties, for every input:
 *
 * - the engine answers and never throws;
 * - the answer is clear: at least one message, every one a catalog key with its placeholders filled, no
 *   catalog key shown raw, no empty sentence;
 * - an input that is refused (a command in the middle of a task, a forged button, a text too long, a
 *   typed answer refused as malformed) leaves every stored key as it was (session, account, codes,
 *   counters); one counted as a wrong guess changes only the counters, never the account; `/cancel`
 *   never changes the account;
 * - a typed answer with a control character, NUL or a bidi override is never accepted.
 *
 * Reproduce a failure with `HOSTILE_SEED=<seed> npx vitest run test/flows/hostile-input.property.test.ts`
 * (the seed is printed in the failure); `HOSTILE_RUNS=<n>` sets the random runs per state (default 20, after 6 fixed examples).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isMessageKey, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import type { InputAction } from '../../src/core/conversation.ts';
import type { Reply } from '../../src/core/reply.ts';
import {
  createHostileWorld,
  type Driver,
  EMAIL,
  type HostileWorld,
  PHONE,
  PASSWORD,
  type WaitingState,
} from '../helpers/hostile-world.ts';
import { connectRedis } from '../helpers/redis.ts';

const NUM_RUNS = Number(process.env.HOSTILE_RUNS ?? 20);
const SEED = process.env.HOSTILE_SEED === undefined ? undefined : Number(process.env.HOSTILE_SEED);

const redis = connectRedis();
const worlds: HostileWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

// ---- the hostile inputs -------------------------------------------------------------------------

/** One input to try, printed by its label (a 100 KB text would drown a failure report). */
class Attack {
  constructor(
    readonly action: InputAction,
    readonly kind: 'text' | 'forgedChoice' | 'command' | 'cancel' | 'support',
  ) {}
  [fc.toStringMethod](): string {
    const a = this.action;
    if (a.type === 'text' && a.text.length > 200)
      return `text(${a.text.length} chars: ${JSON.stringify(a.text.slice(0, 12))}...)`;
    if (a.type === 'command')
      return `/${a.command} ${JSON.stringify(a.args.slice(0, 60))}${a.args.length > 60 ? `(${a.args.length})` : ''}`;
    return `${a.type}:${JSON.stringify(a.type === 'text' ? a.text : a.value)}`;
  }
}

const NASTY_TEXTS = [
  '',
  ' ',
  '\n\n\t',
  '\u0000',
  `${PASSWORD}\u0000`,
  'Sunflower\u0000Lantern-42',
  'New-Pass\u0007word-77\u001b[31m',
  '\u202Egnp.exe\u202C',
  '\u200B\u200B\u200B',
  'שלום עולם 123 مرحبا',
  '🔐🙂👨‍👩‍👧‍👦🇨🇳',
  'Zalgo-T̴̢̛e̷̡͝x̸̧̛t̵-12',
  '<b>bold</b><script>alert(1)</script>',
  '<a href="javascript:alert(1)">x</a>',
  '**bold** _it_ `code` [x](https://evil.example) ||spoiler||',
  "' OR 1=1; DROP TABLE accounts; --",
  '"; FLUSHALL; "',
  `{flow} {minutes} {contact} $\{process.env.SECRET_KEY}`,
  '__proto__',
  'constructor',
  '{"type":"user.choice","value":"saved"}',
  '/cancel',
  '0',
  '-1',
  '99',
  '1e309',
  '000000',
  '123456',
  '12345a',
  `${PHONE}\u0000`,
  '+86 138 0013 8000\n+1',
  `${EMAIL}\r\nBcc: evil@example.com`,
  'a@b',
  `${'A'.repeat(129)}1`,
  'Ab1-'.repeat(1024),
];
/**
 * Tried in every state before the random ones: names Object's prototype holds (a lookup table indexed by
 * typed text must not find them), nothing, NUL, and a text far over the limit.
 */
const ALWAYS = ['constructor', '__proto__', 'toString', '', '\u0000', 'A'.repeat(100_000)];
const BIG_TEXTS = [
  'A'.repeat(100_000),
  '\u0000'.repeat(100_000),
  '🙂'.repeat(30_000),
  'x'.repeat(4097),
  '\u202E'.repeat(5000),
];

/** C0 controls and NUL, DEL, C1 controls, bidi overrides and isolates. */
const controlChars = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0, max: 31 }), fc.constantFrom(0x7f, 0x85, 0x9b, 0x202a, 0x202e, 0x2066, 0x2069))
    .map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 12,
});

const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_TEXTS), weight: 4 },
  { arbitrary: fc.constantFrom(...BIG_TEXTS), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }), weight: 2 },
  { arbitrary: controlChars, weight: 1 },
  // A plausible answer with a control character, NUL or a bidi override inside.
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(PASSWORD, 'Quiet-Harbor-Lamp-93', PHONE, EMAIL, '123456'),
        controlChars,
        fc.nat(20),
      )
      .map(([good, bad, at]) => `${good.slice(0, at)}${bad}${good.slice(at)}`),
    weight: 2,
  },
);

const COMMAND_NAMES = fc.oneof(
  fc.constantFrom(
    'password',
    'phone',
    'email',
    '2fa',
    '2fa_off',
    'recovery_codes',
    'link',
    'unlink',
    'activity',
    'checkup',
    'recover',
    'start',
    'menu',
    'help',
    'PASSWORD',
    'Start',
  ),
  fc.stringMatching(/^[a-z0-9_]{1,32}$/),
);

/** Every input a state is attacked with; `known` are button values seen anywhere (old buttons). */
function attacks(state: WaitingState, known: readonly string[]): fc.Arbitrary<Attack> {
  const offered = new Set((state.prompt?.choices ?? []).map((choice) => choice.value));
  // `support` is the "Talk to support" button every dead end offers and `/support` does the same: it is
  // a real request for a person, not a forged one.
  const forged = fc
    .oneof(
      fc.constantFrom(...known),
      hostileText,
      fc.constantFrom('menu:change-password', 'fix:2fa', 'yes', ''),
    )
    .filter((value) => !offered.has(value) && value !== 'support');
  return fc.oneof(
    { arbitrary: hostileText.map((text) => new Attack({ type: 'text', text }, 'text')), weight: 6 },
    { arbitrary: forged.map((value) => new Attack({ type: 'choice', value }, 'forgedChoice')), weight: 3 },
    {
      arbitrary: fc
        .record({ command: COMMAND_NAMES, args: fc.oneof(fc.constant(''), hostileText) })
        .map(({ command, args }) => new Attack({ type: 'command', command, args }, 'command')),
      weight: 3,
    },
    {
      arbitrary: fc
        .oneof(fc.constant(''), hostileText)
        .map((args) => new Attack({ type: 'command', command: 'cancel', args }, 'cancel')),
      weight: 1,
    },
  );
}

// ---- what a clear answer is ---------------------------------------------------------------------

const catalog = en as Record<string, string>;
/** Values every message may use without its caller passing them (`setMessageDefaults`). */
const DEFAULT_PARAMS = new Set(['contact']);

function clearnessProblems(replies: readonly Reply[], typed: string): string[] {
  const problems: string[] = [];
  if (replies.length === 0) problems.push('no reply at all');
  const sayable = (key: string, params: Reply['params']) => {
    if (!isMessageKey(key)) {
      problems.push(`${key} is not a catalog key`);
      return;
    }
    const template = catalog[key] ?? '';
    for (const [, name] of template.matchAll(/\{(\w+)\}/g)) {
      if (name && params?.[name] === undefined && !DEFAULT_PARAMS.has(name))
        problems.push(`${key} lacks {${name}}`);
    }
    const text = t('en', key, params);
    if (text.trim() === '') problems.push(`${key} renders empty`);
    for (const [token] of text.matchAll(/[a-z0-9]+\.[a-zA-Z]+/g)) {
      if (isMessageKey(token) && !typed.includes(token)) problems.push(`${key} shows the raw key ${token}`);
    }
  };
  for (const reply of replies) {
    sayable(reply.key, reply.params);
    for (const choice of reply.choices ?? []) sayable(choice.label, choice.params);
    if (reply.field) sayable(reply.field.label, {});
  }
  return problems;
}

/** Answers that refuse the input without doing anything with it. */
const REFUSED = new Set<string>([
  'common.notUnderstood',
  'common.pickOne',
  'common.staleChoice',
  'common.tooLong',
  'common.unknownCommand',
  'common.busyInFlow',
  'common.help',
  'common.startPayloadUnknown',
  'policy.tooShort',
  'policy.tooLong',
  'policy.noLetter',
  'policy.noDigit',
  'policy.controlChars',
  'policy.common',
  'policy.containsPhone',
  'policy.containsEmail',
  'policy.containsAccountId',
  'policy.sameAsCurrent',
  'phone.invalid',
  'phone.same',
  'email.invalid',
  'email.same',
  'codes.format',
  'twofa.format',
  'twofa.setupFormat',
]);
/**
 * Answers that refuse the input with a consequence: a wrong guess is counted (tries, lock-outs), a repeat
 * that does not match goes back to the new password; the account never changes.
 */
const COUNTED = new Set<string>([
  'password.mismatch',
  'password.wrongCurrent',
  'password.locked',
  'prove.wrongPassword',
  'prove.locked',
  'prove.lockedPickDestination',
  'codes.wrong',
  'twofa.wrong',
  'twofa.tooMany',
  'twofa.setupWrong',
  'link.badDestination',
  'link.tooMany',
  'handoff.invalid',
  'handoff.tooMany',
]);

type Verdict = 'refused' | 'counted' | 'accepted';

function verdictOf(replies: readonly Reply[]): Verdict {
  if (replies.some((reply) => REFUSED.has(reply.key))) return 'refused';
  if (replies.some((reply) => COUNTED.has(reply.key))) return 'counted';
  return 'accepted';
}

/**
 * The stored keys that differ. With `reworded`, a session whose question is asked again in other words
 * ("Please try another password") counts as unchanged: same task snapshot, same kind of question.
 */
function changedKeys(before: Map<string, string>, after: Map<string, string>, reworded = false): string[] {
  const same = (key: string, a: string | undefined, b: string | undefined): boolean => {
    if (a === b) return true;
    if (!reworded || !key.endsWith(':session') || a === undefined || b === undefined) return false;
    const unworded = (text: string) => {
      const { prompt, ...rest } = JSON.parse(text) as { prompt?: Record<string, unknown> | null };
      const { key: _key, params: _params, ...question } = prompt ?? {};
      return JSON.stringify({ ...rest, question });
    };
    return unworded(a) === unworded(b);
  };
  const changed: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (!same(key, before.get(key), after.get(key))) changed.push(key);
  }
  return changed;
}

// ---- the property, over one state ---------------------------------------------------------------

const stats = new Map<string, Record<Verdict, number>>();
/** Hostile inputs a state took as an answer (a cancel, a typed "1" picking the first option). */
const accepted: string[] = [];

async function attackState(w: HostileWorld, driver: Driver, state: WaitingState, known: readonly string[]) {
  const accountOf = async () => JSON.stringify(await w.services.accounts.get(w.accountId));
  const tally: Record<Verdict, number> = { refused: 0, counted: 0, accepted: 0 };
  const where = `${state.id} (reached by ${state.path.join(' ; ')})`;
  stats.set(where, tally);
  await fc.assert(
    fc.asyncProperty(attacks(state, known), async (attack) => {
      await w.load(state.saved);
      const before = await w.state();
      const accountBefore = await accountOf();
      const replies = await driver.send(attack.action);
      const typed =
        attack.action.type === 'text'
          ? attack.action.text
          : attack.action.type === 'choice'
            ? attack.action.value
            : attack.action.args;
      expect(clearnessProblems(replies, typed), `unclear answer in ${where}`).toEqual([]);
      const after = await w.state();
      const verdict = verdictOf(replies);
      tally[verdict] += 1;
      const keysSaid = replies.map((reply) => reply.key).join(', ');
      const mustRefuse =
        attack.kind === 'forgedChoice' ||
        attack.kind === 'command' ||
        (attack.action.type === 'text' && attack.action.text.length > 4096);
      // A command goes past an offer ("Shall I show the findings?"): the offer ends quietly, the command runs.
      const passesOffer = attack.kind === 'command' && state.prompt?.dismissible === true;
      if (passesOffer) {
        expect(await accountOf(), `a command past an offer changed the account in ${where}`).toBe(
          accountBefore,
        );
      } else if (mustRefuse || verdict === 'refused') {
        expect(
          changedKeys(before, after, !mustRefuse),
          `stored state changed in ${where}; answered ${keysSaid}`,
        ).toEqual([]);
        // The task goes on: the user is asked the question again, not left without one.
        expect(
          replies.some((reply) => reply.input !== undefined && reply.input !== 'none'),
          `no question asked again in ${where}; answered ${keysSaid}`,
        ).toBe(true);
      } else if (verdict === 'counted') {
        expect(await accountOf(), `the account changed in ${where}; answered ${keysSaid}`).toBe(
          accountBefore,
        );
      } else {
        accepted.push(`${state.id}: ${fc.stringify(attack)} -> ${keysSaid}`);
      }
      if (attack.kind === 'cancel')
        expect(await accountOf(), `/cancel changed the account in ${where}`).toBe(accountBefore);
      const input = state.prompt?.input;
      if (
        attack.action.type === 'text' &&
        (input === 'text' || input === 'secret') &&
        /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(attack.action.text)
      ) {
        expect(
          verdict,
          `a typed answer with a control or bidi character was taken in ${where}; answered ${keysSaid}`,
        ).not.toBe('accepted');
      }
    }),
    {
      numRuns: NUM_RUNS,
      examples: ALWAYS.map((text) => [new Attack({ type: 'text', text }, 'text')]),
      ...(SEED === undefined ? {} : { seed: SEED }),
    },
  );
}

/**
 * Attacks every state; first checks the walk reached every task but `unreachable` (each with its reason)
 * and, for `expected`, these in particular, so a task added later is attacked too.
 */
async function attackEvery(
  w: HostileWorld,
  driver: Driver,
  states: readonly WaitingState[],
  reach: { readonly unreachable?: readonly string[]; readonly expected?: readonly string[] },
) {
  if (process.env.HOSTILE_STATS)
    for (const state of states) console.log(state.id, '<-', state.path.join(' ; '));
  const reached = new Set(states.map((state) => state.flowId));
  if (reach.unreachable) {
    const all = w.engine.flowDefinitions
      .map((flow) => flow.id)
      .filter((id) => !reach.unreachable?.includes(id));
    expect([...reached].sort()).toEqual(all.sort());
  }
  for (const flow of reach.expected ?? []) expect(reached, `no state of ${flow} was reached`).toContain(flow);
  const known = [
    ...new Set(states.flatMap((state) => (state.prompt?.choices ?? []).map((choice) => choice.value))),
  ];
  for (const state of states) await attackState(w, driver, state, known);
}

const command = (name: string, args = ''): InputAction => ({ type: 'command', command: name, args });

describe('hostile input in every waiting state', () => {
  it('of every task for a linked account without 2FA (and the prove-identity step inside them)', async () => {
    const w = await createHostileWorld(redis);
    worlds.push(w);
    await w.link('u1');
    const chat = w.chat('c1', 'u1');
    const states = await w.explore(
      chat,
      w.engine.flowDefinitions.map((flow) => command(flow.command)),
    );
    expect(states.length).toBeGreaterThan(20);
    // Linking is for chats not linked yet, a handoff needs an agent's code (both below); turning 2FA off and
    // renewing recovery codes need 2FA on (next test).
    await attackEvery(w, chat, states, {
      unreachable: ['link-account', 'handoff', '2fa-off', 'recovery-codes'],
      expected: [
        'change-password',
        'change-phone',
        'change-email',
        '2fa',
        'activity',
        'checkup',
        'unlink-account',
      ],
    });
  }, 240_000);

  it('of every task for a linked account with 2FA on (the second-factor steps too)', async () => {
    const w = await createHostileWorld(redis);
    worlds.push(w);
    await w.link('u1');
    const { secret, codes } = await w.turnOnTwoFactor('u1');
    const chat = w.chat('c1', 'u1');
    const states = await w.explore(
      chat,
      w.engine.flowDefinitions.map((flow) => command(flow.command)),
      {
        know: { totpSecret: secret, recoveryCodes: codes },
      },
    );
    expect(states.some((state) => state.prompt?.field?.label === 'field.appCode')).toBe(true);
    // With 2FA on, `/2fa` offers to turn it off or renew the codes; a checkup with nothing to fix just ends.
    await attackEvery(w, chat, states, {
      unreachable: ['link-account', 'handoff', 'checkup'],
      expected: ['change-password', 'change-phone', 'change-email', '2fa', '2fa-off', 'recovery-codes'],
    });
  }, 240_000);

  it('of /link and of a support handoff in a chat not linked yet', async () => {
    const w = await createHostileWorld(redis);
    worlds.push(w);
    const chat = w.chat('stranger', 'u9');
    const states = await w.explore(chat, [
      command('link'),
      command('start', await w.handoffCode('change-password')),
      command('recover', await w.handoffCode('change-phone')),
    ]);
    // A new link goes on to the checkup, and its fixes to their tasks; a handoff goes on to its task.
    await attackEvery(w, chat, states, {
      expected: ['link-account', 'checkup', '2fa', 'handoff', 'change-password', 'change-phone'],
    });
  }, 240_000);

  it('of a support handoff opened in the linked chat', async () => {
    const w = await createHostileWorld(redis);
    worlds.push(w);
    await w.link('u1');
    const chat = w.chat('c1', 'u1');
    const states = await w.explore(chat, [command('start', await w.handoffCode('change-email'))]);
    await attackEvery(w, chat, states, { expected: ['change-email'] });
  }, 240_000);
});

afterAll(() => {
  if (process.env.HOSTILE_STATS) {
    for (const [id, tally] of stats) console.log(id, tally);
    console.log(accepted.join('\n'));
  }
});
