/**
 * Simulated Telegram users: each turns a script step into a real `Update` (commands with their entity, a
 * press on the button the bot last showed, the code the fake SMS provider received) and feeds it to the
 * bot through `bot.handleUpdate`.
 */
import type { Update } from 'grammy/types';
import type { StubApi } from './stub-api.ts';
import type { IndexedDelivery, SimUser, Subject } from './subjects.ts';

export type Action =
  | { readonly type: 'command'; readonly command: string }
  /** Presses the first button of the last message with a keyboard. */
  | { readonly type: 'press' }
  /** Types the code sent to the current (`old`) or the new number; `wrong` types another 6 digits. */
  | { readonly type: 'code'; readonly to: 'old' | 'new'; readonly wrong?: boolean }
  | { readonly type: 'newPhone' };

export interface Step {
  readonly action: Action;
  /** How the step reads in a report. */
  readonly label: string;
  /** What the chat waits for after this step, when it is in the middle of the task. */
  readonly waits?: string;
}

/** `/start`, `/phone`, the choice to send the code, the code (after `wrong` wrong ones), the new number, its code, `/menu`. */
export function swapPhoneScript(wrong = 0): Step[] {
  return [
    { label: '/start', action: { type: 'command', command: 'start' } },
    { label: '/phone', action: { type: 'command', command: 'phone' }, waits: 'choice' },
    { label: 'choice', action: { type: 'press' }, waits: 'code' },
    ...Array.from({ length: wrong }, (_, i) => ({
      label: 'wrong code',
      action: { type: 'code', to: 'old', wrong: true } as const,
      waits: `code after ${i + 1} wrong`,
    })),
    { label: 'code', action: { type: 'code', to: 'old' }, waits: 'number' },
    { label: 'number', action: { type: 'newPhone' }, waits: 'new code' },
    { label: 'new code', action: { type: 'code', to: 'new' } },
    { label: '/menu', action: { type: 'command', command: 'menu' } },
  ];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Users `from..from+count-1`: ids, current and new numbers that never collide between users. */
export function makeUsers(count: number, from = 0): SimUser[] {
  return Array.from({ length: count }, (_, k) => {
    const index = from + k;
    return {
      index,
      id: 100_000_000 + index,
      phone: `+86138${pad(index, 8)}`,
      newPhone: `+86139${pad(index, 8)}`,
    };
  });
}

/** Another 6-digit code than `code`. */
const wrongCode = (code: string) => pad((Number(code) + 1) % 1_000_000, 6);

export class Driver {
  /**
   * Telegram's update ids are a bot's own sequence of 9-10 digit numbers (they start where the bot's last
   * ones left off): the ids a chat keeps for dedupe take as many bytes as a real bot's would.
   */
  private updateId = 731_482_001;
  /** Updates the bot answered with no message at all: a healthy run has none. */
  silent = 0;

  constructor(
    private readonly subject: Subject,
    private readonly api: StubApi,
    private readonly delivery: IndexedDelivery,
  ) {}

  /** Sends one step; resolves with the time `handleUpdate` took, in ms. */
  async step(user: SimUser, step: Step): Promise<number> {
    const update = this.build(user, step.action);
    const chat = this.api.chat(user.id);
    const before = chat.botMessages;
    const started = performance.now();
    await this.subject.bot.handleUpdate(update);
    const elapsed = performance.now() - started;
    if (chat.botMessages === before) this.silent += 1;
    return elapsed;
  }

  /** Runs a whole script for one user. */
  async run(user: SimUser, script: readonly Step[], latencies?: number[]): Promise<void> {
    for (const step of script) {
      const ms = await this.step(user, step);
      latencies?.push(ms);
    }
  }

  private build(user: SimUser, action: Action): Update {
    const update_id = this.updateId++;
    const from = { id: user.id, is_bot: false, first_name: `User ${user.index}`, language_code: 'en' };
    const chatState = this.api.chat(user.id);
    if (action.type === 'press') {
      const message = this.subject.doesTask ? chatState.keyboard : chatState.last;
      const button = message?.reply_markup?.inline_keyboard[0]?.[0];
      const data = this.subject.doesTask
        ? button && 'callback_data' in button && button.callback_data
        : 'c:send';
      if (!message || !data)
        throw new Error(`${this.subject.name}: user ${user.index} was shown no button to press`);
      return {
        update_id,
        callback_query: {
          id: String(update_id),
          from,
          chat_instance: String(user.id),
          data,
          message,
        },
      } as Update;
    }
    let text: string;
    switch (action.type) {
      case 'command':
        text = `/${action.command}`;
        break;
      case 'newPhone':
        text = user.newPhone;
        break;
      case 'code': {
        const code = this.subject.doesTask
          ? this.delivery.code(action.to === 'old' ? user.phone : user.newPhone)
          : '123456';
        text = action.wrong ? wrongCode(code) : code;
        break;
      }
    }
    chatState.lastMessageId += 1;
    return {
      update_id,
      message: {
        message_id: chatState.lastMessageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: user.id, type: 'private', first_name: from.first_name },
        from,
        text,
        ...(action.type === 'command'
          ? { entities: [{ type: 'bot_command', offset: 0, length: text.length }] }
          : {}),
      },
    } as Update;
  }
}

/** Runs `users` through `script`, `inFlight` at a time; the latency of every message, in order of users. */
export async function runAll(
  driver: Driver,
  users: readonly SimUser[],
  script: readonly Step[],
  inFlight: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, users.length) }, async () => {
      for (;;) {
        const user = users[next++];
        if (!user) return;
        await driver.run(user, script, latencies);
      }
    }),
  );
  return latencies;
}
