/** The notice outbox and the commit ledger on both stores (memory and a real Redis). */
import { describe, expect, it } from 'vitest';
import { CommitLedger } from '../../src/accounts/commit-ledger.ts';
import type { Delivery, OutgoingMessage } from '../../src/delivery/delivery.ts';
import { DeliveryError } from '../../src/delivery/delivery.ts';
import { silentLogger } from '../../src/log.ts';
import { NoticeOutbox } from '../../src/notices/outbox.ts';
import { backends } from '../helpers/backends.ts';

const sms = (text: string): OutgoingMessage => ({ channel: 'sms', to: '+8613800138000', text });

/** A provider that fails while `down` and records what it accepted. */
class Provider implements Delivery {
  down = false;
  slowMs = 0;
  readonly sent: OutgoingMessage[] = [];
  async send(message: OutgoingMessage): Promise<void> {
    if (this.slowMs) await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    if (this.down) throw new DeliveryError('gateway answered 503', message.channel);
    this.sent.push(message);
  }
}

describe.each(backends)('NoticeOutbox on $name', (backend) => {
  const store = backend.use();

  it('returns at once, then sends the notice in the background', async () => {
    const provider = new Provider();
    provider.slowMs = 200;
    const outbox = new NoticeOutbox({
      kv: store.kv,
      delivery: provider,
      clock: store.clock,
      log: silentLogger,
      prefix: store.prefix,
    });
    const started = Date.now();
    await outbox.delivery.send(sms('your password was changed'));
    expect(Date.now() - started).toBeLessThan(150);
    expect(provider.sent).toEqual([]);
    await outbox.idle();
    expect(provider.sent.map((m) => m.text)).toEqual(['your password was changed']);
  });

  it('keeps a notice the provider refused and sends it later, once', async () => {
    const provider = new Provider();
    provider.down = true;
    const outbox = new NoticeOutbox({
      kv: store.kv,
      delivery: provider,
      clock: store.clock,
      log: silentLogger,
      prefix: store.prefix,
      retryMs: 1_000,
    });
    await outbox.delivery.send(sms('notice'));
    await outbox.idle();
    expect(provider.sent).toEqual([]);
    // Not due yet.
    provider.down = false;
    expect(await outbox.drain()).toBe(0);
    store.clock.advance(1_000);
    expect(await outbox.drain()).toBe(1);
    expect(await outbox.drain()).toBe(0);
    expect(provider.sent.map((m) => m.text)).toEqual(['notice']);
  });

  it('gives each queued notice to exactly one of several processes', async () => {
    const provider = new Provider();
    provider.down = true;
    const options = {
      delivery: provider,
      clock: store.clock,
      log: silentLogger,
      prefix: store.prefix,
      retryMs: 10,
    };
    const here = new NoticeOutbox({ ...options, kv: store.kv });
    const there = new NoticeOutbox({ ...options, kv: store.peer });
    for (let i = 0; i < 10; i += 1) await here.delivery.send(sms(`n${i}`));
    await here.idle();
    provider.down = false;
    store.clock.advance(10);
    const [a, b] = await Promise.all([here.drain(), there.drain()]);
    expect(a + b).toBe(10);
    expect(new Set(provider.sent.map((m) => m.text)).size).toBe(10);
    expect(provider.sent).toHaveLength(10);
  });

  it('gives a notice up after its last try and logs it without its text', async () => {
    const provider = new Provider();
    provider.down = true;
    const logs: unknown[] = [];
    const log = { ...silentLogger, error: (obj: unknown) => void logs.push(obj), warn: () => undefined };
    const outbox = new NoticeOutbox({
      kv: store.kv,
      delivery: provider,
      clock: store.clock,
      log: log as typeof silentLogger,
      prefix: store.prefix,
      retryMs: 1,
      maxTries: 3,
    });
    await outbox.delivery.send(sms('secret-free notice text'));
    await outbox.idle();
    for (let i = 0; i < 5; i += 1) {
      store.clock.advance(100);
      await outbox.drain();
    }
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs)).not.toContain('secret-free notice text');
    expect(JSON.stringify(logs)).not.toContain('+8613800138000');
  });
});

describe.each(backends)('CommitLedger on $name', (backend) => {
  const store = backend.use();

  it("applies a task's change once and gives the same result to every repeat", async () => {
    const ledger = new CommitLedger(store.kv, store.prefix);
    let applied = 0;
    const apply = async () => {
      applied += 1;
      return { ok: true as const, signedOut: 2 };
    };
    expect(await ledger.once('acc_1', 'task_a', 'password', apply)).toEqual({ ok: true, signedOut: 2 });
    expect(await ledger.once('acc_1', 'task_a', 'password', apply)).toEqual({ ok: true, signedOut: 2 });
    expect(applied).toBe(1);
    // Another task is another change.
    await ledger.once('acc_1', 'task_b', 'password', apply);
    expect(applied).toBe(2);
  });

  it('refuses a concurrent repeat while the first one runs, and lets a failed one be tried again', async () => {
    const ledger = new CommitLedger(store.kv, store.prefix);
    const other = new CommitLedger(store.peer, store.prefix);
    let release: () => void = () => undefined;
    const slow = ledger.once(
      'acc_2',
      'task_c',
      'phone',
      () => new Promise<string>((resolve) => (release = () => resolve('done'))),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await other.once('acc_2', 'task_c', 'phone', async () => 'twice')).toEqual({
      ok: false,
      reason: 'inProgress',
    });
    release();
    expect(await slow).toBe('done');
    await expect(
      ledger.once('acc_2', 'task_d', 'phone', async () => Promise.reject(new Error('store down'))),
    ).rejects.toThrow('store down');
    expect(await ledger.once('acc_2', 'task_d', 'phone', async () => 'second try')).toBe('second try');
  });

  it('keeps nothing for a refused change (ok: false), so the task can try again', async () => {
    const ledger = new CommitLedger(store.kv, store.prefix);
    const wrong = { ok: false as const, reason: 'wrong', remaining: 4 };
    expect(await ledger.once('acc_3', 'task_e', 'email', async () => wrong)).toEqual(wrong);
    expect(await ledger.once('acc_3', 'task_e', 'email', async () => ({ ok: true }))).toEqual({ ok: true });
    expect(await ledger.once('acc_3', 'task_e', 'email', async () => ({ ok: false }))).toEqual({ ok: true });
  });

  it('checks its guard (read with the claim) first: a refused guard applies nothing and leaves no claim', async () => {
    const ledger = new CommitLedger(store.kv, store.prefix);
    const proof = `${store.prefix}{acct:acc_4}:proof:phone:task_f`;
    const stale = { ok: false as const, reason: 'reauth' };
    const guard = { key: proof, refusal: (raw: string | null) => (raw === 'fresh' ? null : stale) };
    let applied = 0;
    const apply = async () => {
      applied += 1;
      return { ok: true as const };
    };
    expect(await ledger.once('acc_4', 'task_f', 'phone', apply, guard)).toEqual(stale);
    expect(applied).toBe(0);
    await store.kv.set(proof, 'fresh', 60_000);
    expect(await ledger.once('acc_4', 'task_f', 'phone', apply, guard)).toEqual({ ok: true });
    // A repeat gets the first result while the guard holds, and the refusal once it does not.
    expect(await ledger.once('acc_4', 'task_f', 'phone', apply, guard)).toEqual({ ok: true });
    await store.kv.del(proof);
    expect(await ledger.once('acc_4', 'task_f', 'phone', apply, guard)).toEqual(stale);
    expect(applied).toBe(1);
  });
});
