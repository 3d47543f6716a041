/**
 * Sessions are stored compressed (deflate with a preset dictionary, as text): what goes in comes back,
 * sessions stored as JSON before still load, and a task's session takes a fraction of its JSON size.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeIds,
  decodeSession,
  decodeStored,
  encodeIds,
  encodeSession,
  joinStored,
  splitStored,
} from '../../src/engine/session-codec.ts';
import type { Session } from '../../src/engine/session-store.ts';

const proving: Session = {
  flow: {
    id: 'change-phone',
    version: 2,
    snapshot: {
      status: 'active',
      value: 'proving',
      historyValue: {},
      context: { accountId: 'acc_0123456789ab', taskId: 'task_Ex5DxzbbQ2da', channel: 'telegram', lastAt: 1 },
      children: {
        prove: {
          snapshot: {
            status: 'active',
            value: 'askCode',
            historyValue: {},
            context: { purpose: 'phone', ways: ['phone', 'email'], secondFactor: 'ifEnabled', asked: true },
            children: {},
          },
          src: 'proveIdentity',
          syncSnapshot: false,
        },
      },
    },
    startedAt: 1796186070029,
    taskId: 'task_Ex5DxzbbQ2da',
  },
  prompt: {
    key: 'codes.askCode',
    params: { to: '+86 138****0000' },
    input: 'secret',
    field: { label: 'field.code', maxLength: 32 },
    choices: [
      { value: 'resend', label: 'codes.choiceResend' },
      { value: 'other', label: 'prove.choiceOtherWay' },
    ],
  },
  lastActiveAt: 1796186070358,
};

/** A phone task's session in `value`, as the engine stores it (no children). */
function phoneTask(
  value: string,
  context: Record<string, unknown>,
  task: { startedAt: number; taskId: string; accountId?: string },
  rest: Pick<Session, 'prompt' | 'lastActiveAt'>,
): Session {
  return {
    flow: {
      id: 'change-phone',
      version: 2,
      snapshot: { status: 'active', value, historyValue: {}, context, children: {} },
      ...task,
    },
    ...rest,
  };
}

describe('the session codec', () => {
  it('gives back exactly what was stored, for every shape of session', () => {
    const shapes: Session[] = [
      proving,
      { flow: null, prompt: null, lastActiveAt: 5 },
      { flow: null, prompt: null, lastActiveAt: 5, locale: 'zh-CN' },
      {
        ...proving,
        transcript: [
          [1, 'u', '/phone'],
          [2, 'b', 'phone.intro'],
        ],
        owner: { escalationId: 'e1', since: 3 },
      },
      { flow: null, prompt: { key: 'common.menu', params: { name: 'Zoë 你好 ✓' } }, lastActiveAt: 9 },
    ];
    for (const session of shapes) {
      const stored = encodeSession(session);
      expect(stored).toMatch(/^~2[A-Za-z0-9+/]+=*$/);
      expect(decodeSession(stored)).toEqual(session);
    }
  });

  it('still reads a session the first settings of the codec stored (memLevel 6; the reader does not depend on it)', () => {
    const storedBefore =
      '~1I9I4I2LNg1WHOqQFlYGhkbGJqZm5hWVikhJ6WLlWmLpUVCUlBRqlJOJKBrC8YIglaSNiwdDc0szQwszA3MDAyBKvNWSUSdoWZgqGxhZaWlpaBgYGBqDSEC3uENYbm1rUAgA=';
    const session = phoneTask(
      'proving',
      { accountId: 'acc_0123456789ab', taskId: 'task_Ex5DxzbbQ2da', channel: 'telegram', lastAt: 1 },
      { startedAt: 1796186070029, taskId: 'task_Ex5DxzbbQ2da' },
      { prompt: { key: 'phone.intro', params: { phone: '+86 138****0000' } }, lastActiveAt: 1796186070358 },
    );
    expect(decodeSession(storedBefore)).toEqual(session);
    // Written again today, it comes back the same in the second dictionary's form.
    const today = encodeSession(session);
    expect(today.startsWith('~2')).toBe(true);
    expect(decodeSession(today)).toEqual(session);
  });

  it("writes the phone task's longest waits in less than with the first dictionary, which is still read", () => {
    // A session waiting for the new number, as the first dictionary (`~1`) stored it.
    const storedBefore =
      '~1I9I4I2LNSyzOBlWVOqSFVFKqQbIBFCihB5WjkXOiq0e+S5WFmYkSItUbmluamRgaWBhYGlmaYEnQiLBHUUnAdLwuw1lQwX1NXDENC17UGqkWPaoR7rY0NK0FAA==';
    const session = phoneTask(
      'askNew',
      { accountId: 'acc_be0c00000000', taskId: 'task_A2CaEHoDz864', lastAt: 1796410809294 },
      { startedAt: 1796410809294, taskId: 'task_A2CaEHoDz864', accountId: 'acc_be0c00000000' },
      {
        prompt: { key: 'phone.askNew', input: 'text', field: { label: 'field.phone', maxLength: 32 } },
        lastActiveAt: 1796410809915,
      },
    );
    expect(decodeSession(storedBefore)).toEqual(session);
    const today = encodeSession(session);
    expect(decodeSession(today)).toEqual(session);
    expect(today.length).toBeLessThan(storedBefore.length * 0.85);
  });

  it('still reads a session stored as plain JSON (before the codec)', () => {
    expect(decodeSession(JSON.stringify(proving))).toEqual(proving);
  });

  it('stores a task waiting for its code in under a third of its JSON size', () => {
    const json = JSON.stringify(proving).length;
    const stored = encodeSession(proving).length;
    expect(stored).toBeLessThan(json / 3);
  });

  it('refuses text that is neither form', () => {
    expect(() => decodeSession('~1@@@not-deflate')).toThrow();
    expect(() => decodeSession('~2@@@not-deflate')).toThrow();
    expect(() => decodeSession('garbage')).toThrow();
  });
});

describe('update ids', () => {
  const telegram = ['731482001', '731482201', '731482401', '731483999', '731484000'];
  const discord = [
    '1313580011447062528',
    '1313580033500250112',
    '1313580245862318080',
    '1313581177320009728',
  ];

  it('come back exactly, in order, from the compact form', () => {
    for (const ids of [
      [],
      ['0'],
      telegram,
      discord,
      // Not growing, not numbers, or numbers no platform writes (a sign, a leading zero).
      ['9', '5', '5', '12'],
      ['u1', 'u2', '1313580011447062528:repeat', 'a b', 'x\ny', '=', '+5', '!', '%zz'],
      ['007', '-3', '12', '1e3', '340282366920938463463374607431768211456'],
    ]) {
      expect(decodeIds(encodeIds(ids))).toEqual(ids);
    }
  });

  it('take far fewer characters than the ids (differences in base 36), and no space or line break', () => {
    expect(encodeIds(telegram)).toBe('!c3i74h +5k +5k +18e +1');
    expect(encodeIds(discord).length).toBeLessThan(discord.join(' ').length * 0.6);
    for (const text of [encodeIds(['a b', 'x\ny']), encodeIds(discord)]) expect(text).not.toMatch(/\n/);
    expect(encodeIds(['a b']).split(' ')).toHaveLength(1);
  });

  it('read the space-separated ids of earlier versions', () => {
    expect(decodeIds('731482001 731482201')).toEqual(['731482001', '731482201']);
    expect(decodeIds('')).toEqual([]);
  });

  it('leave out what cannot be read instead of failing the turn', () => {
    expect(decodeIds('!')).toEqual([]);
    expect(decodeIds('!+5 a')).toEqual(['10']);
    expect(decodeIds('!a ?? +1 b +1')).toEqual(['10', '11', '12']);
    expect(decodeIds('!=%zz =ok')).toEqual(['ok']);
    expect(decodeIds(`!${'z'.repeat(27)} 1`)).toEqual(['1']);
  });

  it('travel in the session key before the session', () => {
    const stored = joinStored(telegram, encodeSession(proving));
    expect(stored.startsWith('~s!c3i74h +5k')).toBe(true);
    expect(splitStored(stored)).toEqual({ seen: telegram, secretUntil: null, body: encodeSession(proving) });
    expect(decodeStored(stored)).toEqual({ session: proving, seen: telegram, secretUntil: null });
    expect(decodeStored(joinStored([], ''))).toEqual({ session: null, seen: [], secretUntil: null });
    // Earlier versions' ids, before a session or alone.
    expect(decodeStored(`~s1 2\n${encodeSession(proving)}`)).toEqual({
      session: proving,
      seen: ['1', '2'],
      secretUntil: null,
    });
    expect(decodeStored('~s\n')).toEqual({ session: null, seen: [], secretUntil: null });
  });

  it('carry the secret-prompt mark after them, with or without ids and a session', () => {
    const until = 1_796_410_813_883;
    const body = encodeSession(proving);
    for (const [seen, text] of [
      [telegram, body],
      [telegram, ''],
      [null, body],
      [null, ''],
    ] as const) {
      const stored = joinStored(seen, text, until);
      expect(stored).toContain(`~k${until}\n`);
      expect(splitStored(stored)).toEqual({ seen, secretUntil: until, body: text });
    }
    expect(joinStored(telegram, body, until).startsWith('~s!c3i74h')).toBe(true);
    expect(joinStored(null, body, until)).toBe(`~k${until}\n${body}`);
    expect(splitStored('~kx\n').secretUntil).toBeNull();
    expect(() => splitStored('~k123')).toThrow();
  });
});
