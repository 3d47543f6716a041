/**
 * Components bound to the step: every set of buttons the adapter draws belongs to one step of one
 * conversation, under a random single-use token kept in the Kv. A press is taken only when its token is the
 * conversation's current one, the presser is the user it was drawn for, and nobody took the step before
 * (a compare-and-set claims it); anything else is answered with where the conversation is now and changes
 * nothing. The current prompt is kept with the step, so the adapter can draw it again, build its form, and
 * refuse a secret typed as a direct message without asking the engine.
 *
 * Keys: `<prefix>{<chat tag>}:discord:step` (on the conversation's cluster slot) and
 * `<prefix>discord:token:<token>` (which conversation and user a token belongs to).
 */
import { type ChatRef, chatTag } from '../../src/core/conversation.ts';
import type { Reply } from '../../src/core/reply.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { newStepToken } from './custom-id.ts';

/** The step a conversation is at, as far as its buttons are concerned. */
export interface StepRecord {
  readonly token: string;
  /** The user the buttons were drawn for. */
  readonly userId: string;
  /** The question waiting for an answer (never a reply that shows a secret), or null. */
  readonly prompt: Reply | null;
  /** The command of a task offered to continue in the user's DMs ("Continue in my DMs"). */
  readonly privately?: string;
  /** A press or form of this step is being handled: nothing else of it is taken. */
  readonly claimed?: boolean;
}

/** What a token stands for. */
interface TokenRecord {
  readonly chat: ChatRef;
  readonly userId: string;
}

export type StepLookup =
  /** The press may be taken (claim it before acting on it). */
  | { readonly ok: true; readonly chat: ChatRef; readonly raw: string; readonly record: StepRecord }
  /**
   * Stale: an earlier step (`chat` and its `current` step known), or a token that is unknown, expired or
   * another user's (`chat` null: answer with the presser's own conversation).
   */
  | {
      readonly ok: false;
      readonly chat: ChatRef | null;
      readonly current: StepRecord | null;
      /** The current step is being handled right now. */
      readonly busy: boolean;
    };

/** A step claimed by one press; `release` gives it back when the press changed nothing. */
export interface Claim {
  readonly chat: ChatRef;
  readonly record: StepRecord;
  readonly claimedRaw: string;
}

export class StepStore {
  constructor(
    private readonly kv: Kv,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  private stepKey(chat: ChatRef): string {
    return `${this.prefix}{${chatTag(chat)}}:discord:step`;
  }

  private tokenKey(token: string): string {
    return `${this.prefix}discord:token:${token}`;
  }

  private undeliveredKey(chat: ChatRef): string {
    return `${this.prefix}{${chatTag(chat)}}:discord:undelivered`;
  }

  /**
   * Starts a new step for `chat` (every earlier button of it goes stale) and returns its token. Without a
   * prompt or an offer to continue privately, nothing can be pressed and no token is stored.
   */
  async open(chat: ChatRef, userId: string, prompt: Reply | null, privately?: string): Promise<string> {
    const token = newStepToken();
    const stored = prompt ? storablePrompt(prompt) : null;
    if (stored || privately) {
      const ref: TokenRecord = { chat, userId };
      await this.kv.set(this.tokenKey(token), JSON.stringify(ref), this.ttlMs);
    }
    const record: StepRecord = { token, userId, prompt: stored, ...(privately ? { privately } : {}) };
    await this.kv.set(this.stepKey(chat), JSON.stringify(record), this.ttlMs);
    return token;
  }

  /** The conversation's current step, if any. */
  async current(chat: ChatRef): Promise<StepRecord | null> {
    return parseRecord(await this.kv.get(this.stepKey(chat)));
  }

  /** What a pressed token means for the user `userId`. */
  async lookup(token: string, userId: string): Promise<StepLookup> {
    const ref = parseToken(await this.kv.get(this.tokenKey(token)));
    if (!ref || ref.userId !== userId) return { ok: false, chat: null, current: null, busy: false };
    const raw = await this.kv.get(this.stepKey(ref.chat));
    const record = parseRecord(raw);
    if (raw === null || !record || record.token !== token || record.userId !== userId) {
      return { ok: false, chat: ref.chat, current: record, busy: false };
    }
    if (record.claimed) return { ok: false, chat: ref.chat, current: record, busy: true };
    return { ok: true, chat: ref.chat, raw, record };
  }

  /** Takes the step for one press, atomically; null when another press or a newer step came first. */
  async claim(chat: ChatRef, raw: string, record: StepRecord): Promise<Claim | null> {
    const claimedRaw = JSON.stringify({ ...record, claimed: true });
    const ok = await this.kv.compareAndSet(this.stepKey(chat), raw, claimedRaw, this.ttlMs);
    return ok ? { chat, record, claimedRaw } : null;
  }

  /** Gives a claimed step back (the press failed and changed nothing): its buttons work again. */
  async release(claim: Claim): Promise<boolean> {
    return this.kv.compareAndSet(
      this.stepKey(claim.chat),
      claim.claimedRaw,
      JSON.stringify(claim.record),
      this.ttlMs,
    );
  }

  /** Keeps replies that could not reach the user's DMs, to show them in the server next time. */
  async keepUndelivered(chat: ChatRef, replies: readonly Reply[]): Promise<void> {
    const key = this.undeliveredKey(chat);
    const earlier = parseReplies(await this.kv.get(key));
    // A reply that shows a secret (a key, recovery codes) is never stored.
    const kept = [...earlier, ...replies.filter((reply) => !reply.sensitive).map(storablePrompt)].slice(-20);
    await this.kv.set(key, JSON.stringify(kept), this.ttlMs);
  }

  /** Takes the replies kept by `keepUndelivered` (once). */
  async takeUndelivered(chat: ChatRef): Promise<Reply[]> {
    const key = this.undeliveredKey(chat);
    const raw = await this.kv.get(key);
    if (raw === null) return [];
    // Only the caller that removes them shows them.
    return (await this.kv.compareAndSet(key, raw, null)) ? parseReplies(raw) : [];
  }
}

/** A prompt as kept with its step: pictures are never stored. */
function storablePrompt(reply: Reply): Reply {
  const { image: _image, ...rest } = reply;
  return rest;
}

function parseRecord(raw: string | null): StepRecord | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<StepRecord>;
    return typeof value.token === 'string' && typeof value.userId === 'string' && 'prompt' in value
      ? (value as StepRecord)
      : null;
  } catch {
    return null;
  }
}

function parseToken(raw: string | null): TokenRecord | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<TokenRecord>;
    return value.chat && typeof value.userId === 'string' ? (value as TokenRecord) : null;
  } catch {
    return null;
  }
}

function parseReplies(raw: string | null): Reply[] {
  if (raw === null) return [];
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? (value as Reply[]) : [];
  } catch {
    return [];
  }
}
