/**
 * The /link attempt limits (per chat, per destination) reserve each attempt before the code is checked, like
 * every other attempt limit: codes checked together from two service instances on two connections cannot
 * go past what the chat has left. (The code itself already counts its wrong tries by compare-and-set.)
 */
import { describe, expect, it } from 'vitest';
import type { CheckCodeResult } from '../../flows/ports.ts';
import { AccountStore } from '../../src/accounts/account-store.ts';
import { CodeService } from '../../src/codes/code-service.ts';
import type { Kv } from '../../src/kv/kv.ts';
import { LINK_ATTEMPTS_PER_CHAT, LinkService } from '../../src/linking/link-service.ts';
import { silentLogger } from '../../src/log.ts';
import { backends } from '../helpers/backends.ts';
import { RecordingDelivery } from '../helpers/fake-delivery.ts';
import { type CheckCounter, createAccount, SECRET_KEY } from './fixtures.ts';

const PHONE = '+8613800138000';

/** The real code service, counting every code it looks at. */
class CountingCodes extends CodeService {
  constructor(
    readonly counter: CheckCounter,
    deps: ConstructorParameters<typeof CodeService>[0],
  ) {
    super(deps);
  }

  override check(subject: string, purpose: string, to: string, input: string): Promise<CheckCodeResult> {
    this.counter.count += 1;
    return super.check(subject, purpose, to, input);
  }
}

describe.each(backends)('/link attempts under parallel checks on $name', (backend) => {
  const store = backend.use();

  function linkServiceOn(kv: Kv, delivery: RecordingDelivery, looked: CheckCounter): LinkService {
    const { clock, prefix } = store;
    const deps = { kv, delivery, clock, secretKey: SECRET_KEY, log: silentLogger, prefix };
    return new LinkService({
      ...deps,
      accounts: new AccountStore(kv, prefix),
      codes: new CountingCodes(looked, deps),
    });
  }

  it('checks no more codes than the chat has attempts left, however many are typed at once', async () => {
    await createAccount(store.kv, store.clock, store.prefix, PHONE);
    const delivery = new RecordingDelivery();
    const looked: CheckCounter = { count: 0 };
    const here = linkServiceOn(store.kv, delivery, looked);
    const there = linkServiceOn(store.peer, delivery, looked);
    const chat = { channel: 'telegram', userId: 'stranger' } as const;
    const phone = { kind: 'phone', value: PHONE } as const;
    expect(await here.requestCode(chat, phone)).toMatchObject({ ok: true });
    const code = delivery.lastCodeTo(PHONE);
    const wrong = Array.from({ length: 12 }, (_, i) =>
      String((Number(code) + i + 1) % 1_000_000).padStart(6, '0'),
    );
    const results = await Promise.all(
      wrong.map((guess, i) => (i % 2 === 0 ? here : there).checkCode(chat, phone, guess)),
    );
    // One attempt went on asking for the code.
    expect(looked.count).toBeLessThanOrEqual(LINK_ATTEMPTS_PER_CHAT - 1);
    expect(results.filter((r) => !r.ok && r.reason === 'tooMany').length).toBeGreaterThanOrEqual(
      12 - (LINK_ATTEMPTS_PER_CHAT - 1),
    );
    expect(results.filter((r) => r.ok)).toEqual([]);
  });
});
