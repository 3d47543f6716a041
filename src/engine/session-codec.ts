import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a session is stored. JSON is mostly the same names over and over (XState's persisted snapshot of a
 * task and its proof step, the prompt); deflate with a preset dictionary of those names stores a typical
 * session in a quarter of its JSON size. Stored as text (base64 after a version mark), so every store
 * (Redis, the in-memory one) and every compare-and-set keeps working on strings.
 *
 * - `{...}`: plain JSON (sessions written before the codec, and any a later version cannot compress);
 * - `~2` + base64: deflate-raw with DICTIONARY_2 (what is written now);
 * - `~1` + base64: deflate-raw with DICTIONARY_1 (written by earlier versions, still read);
 * - either one after `~s<update ids>\n`: the chat's last handled update ids (`encodeIds`), kept in the
 *   session's own key (no key of their own); `~s<ids>\n` alone holds the ids of a chat without a session;
 * - and between the two, `~k<until ms>\n`: the secret-prompt mark (see SECRET_MARK).
 *
 * A new dictionary gets a new mark; the old ones stay here so stored sessions can still be read.
 */

/**
 * Fragments of stored sessions, the most frequent last (deflate reaches the end of a dictionary with the
 * shortest distances). Never a secret or an id: only names the code itself writes.
 */
const FRAGMENTS_1 = [
  '"transcript":[[',
  '"owner":{"escalationId":"',
  '"pending":[{"key":"common.expired","params":{"flow":{"key":"',
  '"returnTo":"checkup"',
  '"locale":"zh-CN"',
  '"locale":"es"',
  '"locale":"ru"',
  '{"value":"menu:change-password","label":"menu.password"},{"value":"menu:change-phone","label":"menu.phone"},{"value":"menu:change-email","label":"menu.email"},{"value":"menu:2fa","label":"menu.twofa"},{"value":"menu:activity","label":"menu.activity"},{"value":"menu:checkup","label":"menu.checkup"},{"value":"menu:language","label":"menu.language"},{"value":"menu:unlink-account","label":"menu.unlink"}],"input":"choice"},',
  '"prompt":{"key":"common.menu","choices":[',
  '{"flow":{"id":"link-account","version":',
  '{"flow":{"id":"change-password","version":',
  '{"flow":{"id":"change-email","version":',
  '{"flow":{"id":"enable-2fa","version":',
  '{"flow":{"id":"disable-2fa","version":',
  '{"flow":{"id":"recovery-codes","version":',
  '{"flow":{"id":"checkup","version":',
  '"newPhone":null,"newShown":null,"newCodeOut":false,"askedNew":false,"tipShown":',
  '"reproving":false,',
  '"ended":{}},',
  '"purpose":"password","ways":["password","phone","email"],"secondFactor":"ifEnabled","codePurpose":"password",',
  '"purpose":"email","ways":["password","phone"],"secondFactor":"ifEnabled","codePurpose":"email",',
  '"purpose":"2fa","ways":["password","phone","email"],"secondFactor":"ifEnabled","codePurpose":"2fa",',
  '"prompt":{"key":"codes.askCode","params":{"to":"',
  '"input":"secret","field":{"label":"field.code","maxLength":32},"choices":[{"value":"resend","label":"codes.choiceResend"},{"value":"other","label":"prove.choiceOtherWay"}]},',
  '"input":"secret","field":{"label":"field.password","maxLength":',
  '"input":"text","field":{"label":"field.',
  '{"value":"phone","label":"codes.choicePhone","params":{"to":"',
  '"}},{"value":"email","label":"codes.choiceEmail","params":{"to":"',
  '"}},{"value":"noAccess","label":"prove.choiceNoAccess"}]},',
  '"prompt":{"key":"phone.intro","params":{"phone":"',
  '","email":"',
  '"},"input":"choice","choices":[',
  '"summary":{"phoneMasked":"',
  '","emailMasked":"',
  '","twoFactor":false,"passwordLockedMs":0},"lockedMinutes":0,"lockNotice":false,"forgot":false,',
  '"first":null,"firstAt":null,"second":null,"via":null,"codeTo":null,"secret":null,"lastAt":',
  ',"asked":true,"askedPassword":false,"failure":null},"children":{}},"src":"proveIdentity","syncSnapshot":false}}},',
  '"purpose":"phone","ways":["phone","email"],"secondFactor":"ifEnabled","codePurpose":"phone-old","intro":"phone.intro",',
  '"channel":"telegram","summary":null,',
  '"channel":"discord","summary":null,',
  '"children":{"prove":{"snapshot":{"status":"active","value":"',
  '"historyValue":{},"context":{"accountId":"acc_',
  '"startedAt":',
  ',"taskId":"task_',
  '"lastActiveAt":',
  '{"flow":null,"prompt":null,"lastActiveAt":',
  '{"flow":{"id":"change-phone","version":',
  ',"snapshot":{"status":"active","value":"',
];

/**
 * The phone task's own names, in the order its context and prompts are written (its longest waits: the new
 * number and the code sent to it): a session waiting for that code is ~30 % smaller than with FRAGMENTS_1.
 */
const FRAGMENTS_2 = [
  '"prompt":{"key":"phone.askNew","input":"text","field":{"label":"field.phone","maxLength":32}},',
  '"prompt":{"key":"phone.askNewCode","params":{"to":"',
  '"},"input":"secret","field":{"label":"field.code","maxLength":32},"choices":[{"value":"resend","label":"codes.choiceResend"},{"value":"other","label":"phone.choiceOtherNumber"}]},"lastActiveAt":',
  '"},"children":{}},"startedAt":',
  ',"channel":"telegram","summary":{"phoneMasked":"',
  '","twoFactor":false,"passwordLockedMs":0},"reproving":false,"newPhone":',
  ',"newShown":',
  ',"newCodeOut":true,"secret":null,"lastAt":',
  ',"askedNew":true,"tipShown":false,"ended":{}},"children":{}},"startedAt":',
  ',"taskId":"task_',
  '","historyValue":{},"context":{"accountId":"acc_',
  '{"flow":{"id":"change-phone","version":',
];

const DICTIONARY_1 = Buffer.from(FRAGMENTS_1.join(''), 'utf8');
const DICTIONARY_2 = Buffer.from([...FRAGMENTS_1, ...FRAGMENTS_2].join(''), 'utf8');

const MARK_1 = '~1';
const MARK_2 = '~2';
/**
 * 8 KiB windows: a session is a few KB at most, and a smaller window is cheaper to set up on every call.
 * memLevel 2 (the compressor's hash table; the format and the reader do not depend on it): the same bytes
 * as memLevel 6 for a session, in ~40 % less time and a fraction of the memory each call allocates.
 */
const OPTIONS = { windowBits: 13, memLevel: 2, level: 6 } as const;
/**
 * The output buffer each call allocates (zlib's default is 16 KiB): a stored session is a few hundred
 * bytes and its JSON a few KB, so small buffers (more of them only for a large session) allocate less
 * garbage per message; measured here in alternating runs, about 20 % less time per call both ways.
 */
const DEFLATE_OPTIONS = { ...OPTIONS, dictionary: DICTIONARY_2, chunkSize: 1024 } as const;
const INFLATE_OPTIONS = {
  [MARK_1]: { ...OPTIONS, dictionary: DICTIONARY_1, chunkSize: 2048 },
  [MARK_2]: { ...OPTIONS, dictionary: DICTIONARY_2, chunkSize: 2048 },
} as const;

/** The stored text of a session. */
export function encodeSession(session: object): string {
  const json = JSON.stringify(session);
  return MARK_2 + deflateRawSync(json, DEFLATE_OPTIONS).toString('base64');
}

const SEEN_MARK = '~s';
/**
 * The secret-prompt mark: the chat was asked for a secret (a password, a code) until this time, so a late
 * answer is still treated as one even when the task has ended since. In the session key, after the ids, so
 * a chat costs one key (earlier versions kept it on a key of its own, still read).
 */
const SECRET_MARK = '~k';

const COMPACT_IDS = '!';
/** A decimal id as platforms write them (no sign, no leading zero), short enough to be a number. */
const DECIMAL_ID = /^(0|[1-9][0-9]{0,39})$/;
const BASE36 = /^[0-9a-z]+$/;

/**
 * A chat's handled update ids as stored text. Platform ids are mostly growing decimal numbers (Telegram's
 * update ids, Discord's snowflakes), so after `!` each is written in base 36, and as `+<difference>` from the
 * one before it when larger: 16 Discord snowflakes take ~130 characters instead of ~310. Any other id is
 * `=` and its URI-encoded text. Read back exactly by `decodeIds`.
 */
export function encodeIds(ids: readonly string[]): string {
  let previous: bigint | null = null;
  const tokens = ids.map((id) => {
    if (!DECIMAL_ID.test(id)) return `=${encodeURIComponent(id)}`;
    const value = BigInt(id);
    const token: string =
      previous !== null && value > previous ? `+${(value - previous).toString(36)}` : value.toString(36);
    previous = value;
    return token;
  });
  return COMPACT_IDS + tokens.join(' ');
}

/**
 * The ids `encodeIds` wrote, or the space-separated ids of earlier versions. A token that cannot be read
 * (and a difference from it) is left out rather than failing the chat's turn: at worst a redelivery of that
 * one update would not be recognised.
 */
export function decodeIds(text: string): string[] {
  if (!text.startsWith(COMPACT_IDS)) return text === '' ? [] : text.split(' ');
  const body = text.slice(COMPACT_IDS.length);
  if (body === '') return [];
  const ids: string[] = [];
  let previous: bigint | null = null;
  for (const token of body.split(' ')) {
    if (token.startsWith('=')) {
      try {
        ids.push(decodeURIComponent(token.slice(1)));
      } catch {
        // Not URI-encoded text: left out.
      }
      continue;
    }
    const relative = token.startsWith('+');
    const digits = relative ? token.slice(1) : token;
    if (!BASE36.test(digits) || digits.length > 26 || (relative && previous === null)) {
      previous = null;
      continue;
    }
    const value: bigint = (relative && previous !== null ? previous : 0n) + parseBase36(digits);
    previous = value;
    ids.push(value.toString());
  }
  return ids;
}

function parseBase36(digits: string): bigint {
  let value = 0n;
  for (const digit of digits) value = value * 36n + BigInt(Number.parseInt(digit, 36));
  return value;
}

/** What a session key holds: the update ids, the secret-prompt mark, and the session's own text. */
export interface StoredParts {
  /** The chat's last handled update ids; null when the text carries none. */
  readonly seen: string[] | null;
  /** Until when (ms) the chat counts as asked for a secret; null when not marked. */
  readonly secretUntil: number | null;
  /** The session's own text ('' when none). */
  readonly body: string;
}

/** A stored text split into the update ids, the secret-prompt mark and the session's own text. */
export function splitStored(raw: string): StoredParts {
  let rest = raw;
  let seen: string[] | null = null;
  let secretUntil: number | null = null;
  if (rest.startsWith(SEEN_MARK)) {
    const end = rest.indexOf('\n');
    if (end < 0) throw new Error('a stored session with update ids has no end of line');
    seen = decodeIds(rest.slice(SEEN_MARK.length, end));
    rest = rest.slice(end + 1);
  }
  if (rest.startsWith(SECRET_MARK)) {
    const end = rest.indexOf('\n');
    if (end < 0) throw new Error('a stored secret-prompt mark has no end of line');
    const until = Number(rest.slice(SECRET_MARK.length, end));
    secretUntil = Number.isSafeInteger(until) ? until : null;
    rest = rest.slice(end + 1);
  }
  return { seen, secretUntil, body: rest };
}

/**
 * The stored text of a session's own text (`body`, '' for none) with the update ids it carries and the
 * secret-prompt mark (`~k<until ms>\n`, after the ids); null ids or mark: none.
 */
export function joinStored(
  seen: readonly string[] | null,
  body: string,
  secretUntil: number | null = null,
): string {
  const ids = seen === null ? '' : `${SEEN_MARK}${encodeIds(seen)}\n`;
  const mark = secretUntil === null ? '' : `${SECRET_MARK}${Math.floor(secretUntil)}\n`;
  return ids + mark + body;
}

/** A stored text's session (null when it carries only ids or a mark), update ids and secret-prompt mark. */
export function decodeStored<T = unknown>(
  raw: string,
): { session: T | null; seen: string[] | null; secretUntil: number | null } {
  const { seen, secretUntil, body } = splitStored(raw);
  return { session: body === '' ? null : decodeSession<T>(body), seen, secretUntil };
}

/**
 * A session's own text (either form above, without the update ids: read a session key with `decodeStored`);
 * throws on text that is neither.
 */
export function decodeSession<T = unknown>(raw: string): T {
  const mark = raw.slice(0, 2);
  if (mark === MARK_1 || mark === MARK_2) {
    const bytes = Buffer.from(raw.slice(mark.length), 'base64');
    return JSON.parse(inflateRawSync(bytes, INFLATE_OPTIONS[mark]).toString('utf8')) as T;
  }
  return JSON.parse(raw) as T;
}
