/**
 * A task's records on the server (its proof of identity, the record of its commit, a new password waiting
 * for its repeat) are forgotten as soon as a commit has stored that the task ended, and only then: through
 * the real engine and services on an in-memory store, and on a real Redis for the key layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskRecordStore } from '../../src/accounts/task-records.ts';
import { Redis } from 'ioredis';
import { RedisKv } from '../../src/kv/redis-kv.ts';
import { createFlowHarness, type FlowHarness, keys } from '../helpers/flow-harness.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';

const NEW_PASSWORD = 'Quiet-Harbour-Lamp-77';
const NEW_PHONE = '+8613900139000';

/** The task id of the chat's running task, as stored. */
async function taskIdOf(stored: string | null): Promise<string> {
  const taskId = (JSON.parse(stored ?? 'null') as { flow?: { taskId?: string } } | null)?.flow?.taskId;
  if (!taskId) throw new Error('no task is running in this chat');
  return taskId;
}

/** What is stored now under each of the task's record keys (null: nothing). */
async function records(h: FlowHarness, taskId: string, purpose: string) {
  const { proofs, commits, pendingPasswords } = h.services;
  return {
    proof: await h.kv.get(proofs.key(h.accountId, taskId, purpose)),
    commit: await h.kv.get(commits.key(h.accountId, taskId, purpose)),
    pendingPassword: await h.kv.get(pendingPasswords.key(h.accountId, taskId)),
  };
}

/** A password change proven with the current password, waiting for the new one. */
async function provenPasswordChange() {
  const h = await createFlowHarness();
  const chat = h.chat();
  expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
  expect(keys(await chat.text(h.password))).toEqual(['password.askNew']);
  return { h, chat, taskId: await taskIdOf(await chat.storedSession()) };
}

describe('the records of a task end with it', () => {
  it('a finished phone change leaves neither its proof nor the record of its commit', async () => {
    const h = await createFlowHarness();
    const chat = h.chat();
    expect(keys(await chat.command('phone'))).toEqual(['phone.intro']);
    expect(keys(await chat.choose('phone'))).toEqual(['codes.sent', 'codes.askCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(h.phone)))).toEqual(['phone.askNew']);
    const taskId = await taskIdOf(await chat.storedSession());
    // The proof is the time it was made (the task is in the key).
    expect((await records(h, taskId, 'phone')).proof).toBe(String(h.clock.now()));
    expect(keys(await chat.text(NEW_PHONE))).toEqual(['phone.newCodeSent', 'phone.askNewCode']);
    expect(keys(await chat.text(h.delivery.lastCodeTo(NEW_PHONE)))).toEqual(['phone.changed']);
    expect((await h.account()).phone).toBe(NEW_PHONE);
    expect(await records(h, taskId, 'phone')).toEqual({ proof: null, commit: null, pendingPassword: null });
  });

  it('a cancelled password change forgets the new password it was given and its proof at once', async () => {
    const { h, chat, taskId } = await provenPasswordChange();
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    const held = await records(h, taskId, 'password');
    expect(held.proof).not.toBeNull();
    expect(held.pendingPassword).toMatch(/^\$argon2id\$/);
    expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
    expect(await records(h, taskId, 'password')).toEqual({
      proof: null,
      commit: null,
      pendingPassword: null,
    });
    // Nothing was changed, and a new run of the task starts from its proof again.
    expect(await h.services.hasher.verify((await h.account()).passwordHash, h.password)).toBe(true);
    expect(keys(await chat.command('password'))).toEqual(['password.askCurrent']);
  });

  it('a task that goes on keeps them', async () => {
    const { h, chat, taskId } = await provenPasswordChange();
    // A refused answer and another command keep the task where it is: the proof stays.
    expect(keys(await chat.text('short'))).not.toContain('common.cancelled');
    expect(keys(await chat.command('phone'))).toContain('common.busyInFlow');
    expect(await taskIdOf(await chat.storedSession())).toBe(taskId);
    expect((await records(h, taskId, 'password')).proof).not.toBeNull();
    // And the task still commits with it.
    expect(keys(await chat.text(NEW_PASSWORD))).toEqual(['password.askRepeat']);
    expect(keys(await chat.text(NEW_PASSWORD))).toContain('password.changed');
    expect(await h.services.hasher.verify((await h.account()).passwordHash, NEW_PASSWORD)).toBe(true);
    expect(await records(h, taskId, 'password')).toEqual({
      proof: null,
      commit: null,
      pendingPassword: null,
    });
  });

  it('a commit that is lost (the lock was taken over) forgets nothing: the retried step still needs them', async () => {
    const { h, chat, taskId } = await provenPasswordChange();
    // This process stalls past its lock while the user cancels: its commit is refused.
    const sessions = h.services.sessions;
    const commit = sessions.commit.bind(sessions);
    sessions.commit = async () => false;
    try {
      expect(keys(await chat.command('cancel'))).toEqual(['common.timeout']);
    } finally {
      sessions.commit = commit;
    }
    expect((await records(h, taskId, 'password')).proof).not.toBeNull();
    expect(await taskIdOf(await chat.storedSession())).toBe(taskId);
  });

  it('a failure to forget them is logged and the user still gets the answer', async () => {
    const { h, chat, taskId } = await provenPasswordChange();
    const warnings: string[] = [];
    const log = h.services.log as { warn: (fields: object, message: string) => void };
    const warn = log.warn;
    log.warn = (_fields, message) => warnings.push(message);
    h.services.taskRecords.forget = async () => {
      throw new Error('store down');
    };
    try {
      expect(keys(await chat.command('cancel'))).toEqual(['common.cancelled']);
    } finally {
      log.warn = warn;
    }
    expect(warnings).toEqual([
      'the records of an ended task could not be forgotten; they expire on their own',
    ]);
    expect((await chat.storedSession()) ?? '').not.toContain(taskId);
  });
});

describe('TaskRecordStore on Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());

  it('deletes exactly the three keys of one run, all under the account hash tag', async () => {
    const h = await createFlowHarness();
    const redis = new Redis(server.url);
    const kv = new RedisKv(redis);
    try {
      const { proofs, commits, pendingPasswords } = h.services;
      const store = new TaskRecordStore(kv, { proofs, commits, pendingPasswords });
      const run = { accountId: 'acc_1', taskId: 'task_a', purpose: 'phone' };
      const keysOfRun = store.keys(run);
      expect(keysOfRun).toEqual([
        'ls:{acct:acc_1}:proof:phone:task_a',
        'ls:{acct:acc_1}:commit:phone:task_a',
        'ls:{acct:acc_1}:pw-pending:task_a',
      ]);
      const other = store.keys({ ...run, taskId: 'task_b' });
      for (const key of [...keysOfRun, ...other]) await kv.set(key, 'x', 60_000);
      await store.forget(run);
      for (const key of keysOfRun) expect(await kv.get(key)).toBeNull();
      for (const key of other) expect(await kv.get(key)).toBe('x');
    } finally {
      redis.disconnect();
    }
  });
});
