/**
 * Logs at their most talkative (`trace`) never hold a secret: every task is run end to end and every log
 * line is searched for each password, one-time code (read from the faked SMS/email outbox), TOTP key,
 * authenticator code, recovery code, email link token, handoff code, API key, bot token and `SECRET_KEY`
 * that was used.
 *
 * - In a process: the console demo (`tsx src/main.ts`, `LOG_LEVEL=trace`, on the test Redis, serving
 *   HTTP) run through every task by typing into its stdin, a handoff made by an agent through the HTTP API
 *   with a key from the admin CLI, the email link opened and confirmed on its page; then the Telegram bot
 *   process against the local Bot API stand-in, to prove its token stays out of the logs too.
 * - In-process, for breadth: the real engine with the real pino logger at `trace` writing into a buffer,
 *   walked through every waiting state of every task with every choice and every good answer, a few wrong
 *   ones in each, and the email link redeemed.
 *
 * Each scan is checked first on a line that does hold a secret, so a scan that cannot fail fails.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { type MessageKey, type MessageParams, t } from '../../src/catalog/catalog.ts';
import { en } from '../../src/catalog/en/index.ts';
import { systemClock } from '../../src/clock.ts';
import { DEMO_PHONE } from '../../src/demo.ts';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { TotpService } from '../../src/twofa/totp.ts';
import {
  createHostileWorld,
  EMAIL,
  type HostileWorld,
  NEW_EMAIL,
  NEW_PHONE,
  PHONE,
  SECRET_KEY,
  type WaitingState,
} from '../helpers/hostile-world.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { freePort } from '../helpers/ports.ts';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../helpers/redis.ts';
import { ROOT, runScript } from '../helpers/run-process.ts';
import { type ApiCall, FakeTelegramApi } from '../helpers/telegram-api.ts';
import { openVerifyLink } from '../helpers/verify-link.ts';

const redis = connectRedis();

/** Digits-only secrets match as whole numbers, so a code is not "found" inside a timestamp. */
function holds(haystack: string, secret: string): boolean {
  if (/^\d+$/.test(secret)) return new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack);
  return haystack.includes(secret);
}

/** The secrets found in `logs` (empty: none). Secrets shorter than 6 characters cannot be told apart. */
function leakedSecrets(logs: string, secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((secret) => secret.length >= 6 && holds(logs, secret));
}

/** A stream that keeps everything written to it. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('trace logs, in-process: every waiting state of every task', () => {
  const worlds: HostileWorld[] = [];
  afterAll(async () => {
    for (const w of worlds) await w.close();
  });

  it('hold none of the secrets used in any task, with good and wrong answers', async () => {
    const sink = new Sink();
    const log = createLogger('trace', sink);
    const secrets = new Set<string>([SECRET_KEY]);
    const wrong = ['Wrong-Password-77', '000111', 'zzzz-zzzz-zz'];
    const walk = async (
      w: HostileWorld,
      states: readonly WaitingState[],
      chat: ReturnType<HostileWorld['chat']>,
    ) => {
      for (const state of states) {
        if (state.know.totpSecret) secrets.add(state.know.totpSecret);
        for (const code of state.know.recoveryCodes ?? []) secrets.add(code);
        // Every choice again with the SMS/email provider refusing: the failure paths log the most.
        for (const choice of state.prompt?.choices ?? []) {
          await w.load(state.saved);
          w.delivery.failNext(1);
          await chat.send({ type: 'choice', value: choice.value });
          w.delivery.clear();
        }
        const input = state.prompt?.input;
        if (input !== 'secret' && input !== 'text') continue;
        for (const text of wrong) {
          await w.load(state.saved);
          await chat.send({ type: 'text', text });
        }
      }
      // The email link, redeemed as its page does.
      for (const state of states.filter((s) => s.know.lastToken)) {
        await w.load(state.saved);
        secrets.add(state.know.lastToken ?? '');
        await w.services.emailVerification.redeemLink(state.know.lastToken ?? '', w.engine);
      }
    };
    const everyTask = (w: HostileWorld) =>
      w.engine.flowDefinitions.map((flow) => ({ type: 'command' as const, command: flow.command, args: '' }));

    const plain = await createHostileWorld(redis, { log, publicUrl: 'https://lockstep.example' });
    worlds.push(plain);
    await plain.link('u1');
    const chat = plain.chat('c1', 'u1');
    const plainStates = await plain.explore(chat, everyTask(plain));
    await walk(plain, plainStates, chat);

    const twofa = await createHostileWorld(redis, { log, publicUrl: 'https://lockstep.example' });
    worlds.push(twofa);
    await twofa.link('u1');
    const on = await twofa.turnOnTwoFactor('u1');
    secrets.add(on.secret);
    for (const code of on.codes) secrets.add(code);
    const chat2 = twofa.chat('c1', 'u1');
    const twofaStates = await twofa.explore(chat2, everyTask(twofa), {
      know: { totpSecret: on.secret, recoveryCodes: on.codes },
    });
    await walk(twofa, twofaStates, chat2);

    const stranger = await createHostileWorld(redis, { log });
    worlds.push(stranger);
    const chat3 = stranger.chat('s1', 'u9');
    const strangerStates = await stranger.explore(chat3, [
      { type: 'command', command: 'link', args: '' },
      { type: 'command', command: 'start', args: await stranger.handoffCode('change-password') },
      { type: 'command', command: 'recover', args: await stranger.handoffCode('change-phone') },
    ]);
    await walk(stranger, strangerStates, chat3);

    const notSecret = new Set([PHONE, NEW_PHONE, EMAIL, NEW_EMAIL]);
    for (const w of worlds) {
      for (const text of w.typed) if (!notSecret.has(text)) secrets.add(text);
      for (const message of w.delivery.sent) {
        for (const [, code] of message.text.matchAll(/(?<!\d)(\d{6})(?!\d)/g)) if (code) secrets.add(code);
        for (const [, token] of message.text.matchAll(/[?&]token=([A-Za-z0-9_-]+)/g))
          if (token) secrets.add(token);
      }
    }
    // The walk went everywhere and logged: every task, codes sent, keys shown, links mailed.
    const flows = new Set([...plainStates, ...twofaStates, ...strangerStates].map((s) => s.flowId));
    expect([...flows].sort()).toEqual(plain.engine.flowDefinitions.map((flow) => flow.id).sort());
    expect(
      [...secrets].filter((s) => /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}$/.test(s)).length,
    ).toBeGreaterThanOrEqual(10);
    expect([...secrets].some((s) => s.startsWith('ho-'))).toBe(true);
    expect(secrets.size).toBeGreaterThan(30);
    if (process.env.TRACE_LOGS_SHOW) console.log(sink.text);
    expect(sink.text.split('\n').length).toBeGreaterThan(5);

    // The scan catches a secret that does reach the log (through the same logger).
    const canary = [...secrets].find((s) => s.startsWith('ho-')) ?? '';
    const check = new Sink();
    createLogger('trace', check).debug({ note: `redeeming ${canary}` }, 'canary');
    expect(leakedSecrets(check.text, secrets)).toEqual([canary]);

    expect(leakedSecrets(sink.text, secrets)).toEqual([]);
  }, 240_000);
});

// ---- as a process ------------------------------------------------------------------------------

const children: ChildProcessWithoutNullStreams[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const closed = once(child, 'close');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(timer);
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Outgoing {
  readonly channel: string;
  readonly to: string;
  readonly text: string;
}

/** The text of a catalog message up to its first placeholder: what the console prints for it. */
function literal(key: MessageKey, shortOk = false): string {
  const template = (en as Record<string, string>)[key] ?? '';
  const head = template.split('{')[0] ?? '';
  if (!shortOk && head.trim().length < 6) throw new Error(`${key} has too little fixed text to wait for`);
  return head.split('\n')[0] ?? head;
}

/**
 * The console demo as a person runs it (`tsx src/main.ts`), its stdin typed into, its stdout read for
 * the bot's messages, its stderr (the logs) kept, its outbox (OUTBOX_FILE) read for codes and links.
 */
function startConsole(env: Record<string, string>, outboxFile: string) {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let cursor = 0;
  const waitText = async (needle: string | RegExp, what: string): Promise<RegExpExecArray | string> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rest = out.slice(cursor);
      if (typeof needle === 'string') {
        const at = rest.indexOf(needle);
        if (at >= 0) {
          cursor += at + needle.length;
          return needle;
        }
      } else {
        const match = needle.exec(rest);
        if (match) {
          cursor += match.index + match[0].length;
          return match;
        }
      }
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(
          `no ${what} in the console; it printed after the last step:\n${rest}\nstderr:\n${err.slice(-3000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const outbox = (): Outgoing[] => {
    try {
      return readFileSync(outboxFile, 'utf8')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Outgoing);
    } catch {
      return [];
    }
  };
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    outbox,
    type: (line: string) => child.stdin.write(`${line}\n`),
    /** Waits until the console shows message `key` (its fixed text, or all of it with `params`). */
    say: (key: MessageKey, params?: MessageParams) =>
      waitText(params ? t('en', key, params) : literal(key), key),
    match: async (pattern: RegExp, what: string) => (await waitText(pattern, what)) as RegExpExecArray,
    /** Picks the option labelled with `label` by its number (the console lists `  2) Label`). */
    async pick(label: MessageKey) {
      const head = literal(label, true).trim();
      const escaped = head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const option = await waitText(new RegExp(`^\\s+(\\d+)\\) ${escaped}`, 'm'), `the option ${label}`);
      child.stdin.write(`${(option as RegExpExecArray)[1]}\n`);
    },
    /** The latest 6-digit code sent to `to`, waiting for it to arrive in the outbox. */
    async codeTo(to: string, after = 0): Promise<string> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const sent = outbox()
          .slice(after)
          .filter((message) => message.to === to)
          .flatMap((message) =>
            [...message.text.matchAll(/(?<!\d)(\d{6})(?!\d)/g)].map((hit) => hit[1] ?? ''),
          );
        const code = sent.at(-1);
        if (code) return code;
        if (Date.now() > deadline)
          throw new Error(`no code to ${to} in the outbox: ${JSON.stringify(outbox())}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const totpNow = (key: string) => new TotpService({ clock: systemClock, issuer: 'lockstep' }).currentCode(key);

describe('trace logs, as a process: the console demo through every task', () => {
  it('LOG_LEVEL=trace: the logs hold no password, code, TOTP key, recovery code, link token, handoff code, API key or SECRET_KEY', async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteByPrefix(redis, prefix));
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-trace-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const outboxFile = join(dir, 'outbox.jsonl');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const secretKey = `trace-${Math.random().toString(36).slice(2)}-0123456789abcdefghijklmnop`;
    const demoPassword = 'Sunny-Trace-2024';
    const newPassword = 'Cobalt-Meadow-Fern-61';
    const newPhone = '+4915112345678';
    const newEmail = 'demo.trace@example.org';
    const env = {
      LOG_LEVEL: 'trace',
      DEMO_PASSWORD: demoPassword,
      SECRET_KEY: secretKey,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      OUTBOX_FILE: outboxFile,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      PUBLIC_URL: base,
    };
    const secrets = new Set<string>([secretKey, demoPassword, newPassword]);
    const demo = startConsole(env, outboxFile);
    await demo.match(/Its password is/, 'the demo banner');

    // /password, by a code to the phone ("I forgot").
    demo.type('/password');
    await demo.pick('prove.choiceForgot');
    await demo.pick('codes.choicePhone');
    await demo.say('codes.askCode');
    demo.type(await demo.codeTo(DEMO_PHONE));
    await demo.say('password.askNew');
    demo.type(newPassword);
    await demo.say('password.askRepeat');
    demo.type(newPassword);
    await demo.say('password.changed');

    // /phone: a code to the old number, then one to the new number.
    let sent = demo.outbox().length;
    demo.type('/phone');
    await demo.pick('codes.choicePhone');
    await demo.say('codes.askCode');
    demo.type(await demo.codeTo(DEMO_PHONE, sent));
    await demo.say('phone.askNew');
    sent = demo.outbox().length;
    demo.type(newPhone);
    await demo.say('phone.askNewCode');
    demo.type(await demo.codeTo(newPhone, sent));
    await demo.match(/Done: your phone number/, 'phone.changed');

    // /email: the link from the email, opened and confirmed on its page.
    sent = demo.outbox().length;
    demo.type('/email');
    await demo.say('email.askPassword');
    demo.type(newPassword);
    await demo.say('email.askAddressChange');
    demo.type(newEmail);
    await demo.say('email.sent');
    const mail = demo
      .outbox()
      .slice(sent)
      .find((message) => message.to === newEmail);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=([A-Za-z0-9_-]+))/.exec(mail?.text ?? '');
    expect(link, 'the email holds a link').not.toBeNull();
    secrets.add(link?.[2] ?? '');
    const opened = await openVerifyLink(link?.[1] ?? '');
    expect((await opened.confirm()).status).toBe(200);
    await demo.say('email.verified');

    // /2fa on: the key shown, a code from it, the recovery codes.
    demo.type('/2fa');
    await demo.say('twofa.askPasswordOn');
    demo.type(newPassword);
    const key = (
      (await demo.match(/spaces do not matter\):\n((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\n/, 'the 2FA key'))[1] ??
      ''
    ).replaceAll(' ', '');
    secrets.add(key);
    await demo.say('twofa.askSetupCode');
    const setupCode = await totpNow(key);
    secrets.add(setupCode);
    demo.type(setupCode);
    const shown = await demo.match(
      /I will not show them again\.\n((?:[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}\n){10})/,
      'the recovery codes',
    );
    const codes = (shown[1] ?? '').trim().split('\n');
    for (const code of codes) secrets.add(code);
    await demo.pick('twofa.choiceSaved');
    await demo.say('twofa.enabledDone');

    // New recovery codes, proven with a recovery code.
    demo.type('/2fa');
    await demo.say('twofa.alreadyOn');
    await demo.pick('twofa.choiceNewCodes');
    await demo.say('twofa.askPasswordRecovery');
    demo.type(newPassword);
    await demo.say('twofa.askCode');
    demo.type(codes[0] ?? '');
    const renewed = await demo.match(
      /Save them now: I will not show them again\.\n((?:[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}\n){10})/,
      'the new recovery codes',
    );
    const newCodes = (renewed[1] ?? '').trim().split('\n');
    for (const code of newCodes) secrets.add(code);
    await demo.pick('twofa.choiceSaved');
    await demo.say('twofa.newCodesDone');

    // /activity and /checkup: looked at, nothing changed.
    demo.type('/activity');
    await demo.pick('activity.choiceClose');
    await demo.say('activity.closed');
    demo.type('/checkup');
    await demo.match(/\/checkup|checkup/i, 'the checkup');

    // A handoff from an agent: an API key from the admin CLI, the code from the API, typed into the chat.
    const admin = await runScript('src/admin/cli.ts', {
      args: ['apikey', 'create', '--name', 'Trace Agent', '--scopes', 'handoff:write,handoff:read'],
      env: { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix, SECRET_KEY: secretKey, LOG_LEVEL: 'trace' },
      timeoutMs: 30_000,
    });
    expect(admin.code, admin.stderr).toBe(0);
    const apiKey = (JSON.parse(admin.stdout) as { key: string }).key;
    secrets.add(apiKey);
    const made = await fetch(`${base}/api/handoffs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ account: newPhone, flow: 'change-password' }),
    });
    expect(made.status).toBe(201);
    const handoff = (await made.json()) as { code: string };
    secrets.add(handoff.code);
    demo.type('/cancel');
    demo.type(`/start ${handoff.code}`);
    await demo.say('password.askCurrent');
    demo.type('/cancel');
    await demo.say('common.cancelled');

    // /2fa off, proven with one of the new recovery codes.
    demo.type('/2fa');
    await demo.say('twofa.alreadyOn');
    await demo.pick('twofa.choiceTurnOff');
    await demo.say('twofa.askPasswordOff');
    demo.type(newPassword);
    await demo.say('twofa.askCode');
    demo.type(newCodes[0] ?? '');
    await demo.say('twofa.disabledDone');

    // /unlink, then /link again with a code to the (new) phone.
    demo.type('/unlink');
    await demo.pick('common.choiceYes');
    await demo.say('unlink.done');
    sent = demo.outbox().length;
    demo.type('/link');
    await demo.say('link.askDestination');
    demo.type(newPhone);
    await demo.say('link.askCode');
    demo.type(await demo.codeTo(newPhone, sent));
    await demo.say('link.done');

    demo.child.stdin.end();
    expect(await demo.exited).toBe(0);

    for (const message of demo.outbox()) {
      for (const [, code] of message.text.matchAll(/(?<!\d)(\d{6})(?!\d)/g)) if (code) secrets.add(code);
    }
    const logs = demo.stderr();
    if (process.env.TRACE_LOGS_SHOW) console.log(logs);
    const lines = logs.split('\n').filter((line) => line.startsWith('{'));
    // The logs were written at the levels asked for, and hold what was done (not an empty file).
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.some((line) => /"level":(10|20|30)/.test(line))).toBe(true);
    expect(secrets.size).toBeGreaterThan(25);

    // The scan catches a secret in a log line shaped like the process's.
    const canary = `{"level":20,"app":"lockstep","msg":"handoff ${handoff.code} redeemed"}`;
    expect(leakedSecrets(canary, secrets)).toEqual([handoff.code]);

    expect(leakedSecrets(logs, secrets)).toEqual([]);
    // And the admin CLI's own output (JSON for the operator) holds no secret but the key it creates.
    expect(leakedSecrets(admin.stderr, secrets)).toEqual([]);
  }, 180_000);
});

describe('trace logs, as a process: the Telegram bot', () => {
  it('LOG_LEVEL=trace: the logs hold neither the bot token nor a password, code or SECRET_KEY', async () => {
    const token = '7000042:AAH_trace-logs-token-abcdefghijklmnopq';
    const api = await FakeTelegramApi.start({ token, botUsername: 'lockstep_trace_bot' });
    cleanups.push(() => api.close());
    const prefix = uniquePrefix();
    cleanups.push(() => deleteByPrefix(redis, prefix));
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-trace-tg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const outboxFile = join(dir, 'outbox.jsonl');
    const secretKey = `trace-tg-${Math.random().toString(36).slice(2)}-0123456789abcdefghijkl`;
    const password = 'Harbour-Trace-Lantern-93';
    const newPassword = 'Velvet-Orchard-Kite-58';
    // The operator imported the account; alice linked her chat to it; bob's chat is not linked.
    const seeding = createServices({
      kv: new RedisKv(redis),
      delivery: new RecordingDelivery(),
      clock: systemClock,
      log: silentLogger,
      secretKey,
      prefix,
    });
    const created = await seeding.accounts.create({
      phone: PHONE,
      email: EMAIL,
      passwordHash: await seeding.hasher.hash(password),
      now: Date.now(),
    });
    if (!created.ok) throw new Error(created.reason);
    const alice = api.person(4004, 'Alice');
    const bob = api.person(5005, 'Bob');
    await seeding.accounts.link(created.account.id, 'telegram', String(alice.user.id), Date.now());

    const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'trace',
        TELEGRAM_BOT_TOKEN: token,
        TELEGRAM_API_ROOT: api.url,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        SECRET_KEY: secretKey,
        OUTBOX_FILE: outboxFile,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const died = exited.then((code) => {
      throw new Error(`lockstep exited (${code}) early:\n${err}`);
    });
    const call = (predicate: (c: ApiCall) => boolean, timeoutMs = 30_000) =>
      Promise.race([api.waitFor(predicate, timeoutMs), died]);
    const says = (chatId: number, key: MessageKey, since: number) =>
      call(
        (c) =>
          c.index >= since &&
          c.method === 'sendMessage' &&
          c.params.chat_id === chatId &&
          String(c.params.text).includes(literal(key).trim()),
        15_000,
      );
    const outbox = (): Outgoing[] => {
      try {
        return readFileSync(outboxFile, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Outgoing);
      } catch {
        return [];
      }
    };
    await call((c) => c.method === 'setMyCommands');

    let since = api.calls.length;
    api.userSends(alice.chat, alice.user, '/password');
    await says(alice.chat.id, 'password.askCurrent', since);
    // Telegram refuses to delete the typed secrets: the failure paths are logged too.
    for (let i = 0; i < 3; i += 1)
      api.failNext('deleteMessage', { status: 400, description: "Bad Request: message can't be deleted" });
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, password);
    await says(alice.chat.id, 'password.askNew', since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, newPassword);
    await says(alice.chat.id, 'password.askRepeat', since);
    since = api.calls.length;
    api.userSends(alice.chat, alice.user, newPassword);
    await says(alice.chat.id, 'password.changed', since);

    since = api.calls.length;
    api.userSends(bob.chat, bob.user, '/link');
    await says(bob.chat.id, 'link.askDestination', since);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, PHONE);
    await says(bob.chat.id, 'link.askCode', since);
    const code = [...(outbox().at(-1)?.text ?? '').matchAll(/(?<!\d)(\d{6})(?!\d)/g)].at(-1)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    since = api.calls.length;
    api.userSends(bob.chat, bob.user, code);
    await says(bob.chat.id, 'link.done', since);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const secrets = new Set([token, token.split(':')[1] ?? token, secretKey, password, newPassword]);
    for (const message of outbox()) {
      for (const [, sent] of message.text.matchAll(/(?<!\d)(\d{6})(?!\d)/g)) if (sent) secrets.add(sent);
    }
    if (process.env.TRACE_LOGS_SHOW) console.log(err);
    const lines = err.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    expect(leakedSecrets(`{"msg":"polling with ${token}"}`, secrets)).toContain(token);
    expect(leakedSecrets(err, secrets)).toEqual([]);
  }, 120_000);
});
