/**
 * `npm run bench:trace`: one user through the swap-phone task on a private redis-server; prints every
 * command each step sent, as MONITOR saw it (inside scripts too), then as the client sent them, numbered by
 * the round trip they rode in, and the keys left at the end, so a round trip or a byte can be traced to its
 * code. `WRONG=4` types wrong codes first; `DUMP=<step>` prints the
 * keys and the stored session (decoded) after that step.
 */
import { Redis } from 'ioredis';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { decodeStored } from '../src/engine/session-codec.ts';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { Driver, makeUsers, swapPhoneScript } from './driver.ts';
import { StubApi } from './stub-api.ts';
import { createLockstep, IndexedDelivery } from './subjects.ts';

const server = await startRedisServer();
const admin = new Redis(server.url);
const monitorClient = new Redis(server.url);
const monitor = await monitorClient.monitor();
const seen: string[] = [];
monitor.on('monitor', (_time: string, args: string[]) => {
  const [name, ...rest] = args;
  const shown = rest.map((a) => (a.length > 40 ? `${a.slice(0, 37)}...(${a.length})` : a));
  seen.push(`${name} ${shown.join(' ')}`);
});
const api = new StubApi();
const delivery = new IndexedDelivery();
const hash = await new PasswordHasher().hash('Bench-pass-123');
const subject = await createLockstep(server.url, api, delivery, hash);
const driver = new Driver(subject, api, delivery);
const [user] = makeUsers(1);
if (!user) throw new Error('no user');
await subject.seed([user]);
const script = swapPhoneScript(Number(process.env.WRONG ?? 0));
await new Promise((r) => setTimeout(r, 200));
const dumpAfter = process.env.DUMP;

/** Every key with its bytes (`MEMORY USAGE`) and time to live. */
async function printKeys(title: string): Promise<void> {
  console.log(`\n${title}`);
  for (const key of (await admin.keys('*')).sort()) {
    console.log(`  ${key} ${await admin.memory('USAGE', key, 'SAMPLES', 0)} B, ttl ${await admin.pttl(key)}`);
  }
}
for (const step of script) {
  seen.length = 0;
  subject.meter.reset();
  subject.meter.trail = [];
  await driver.step(user, step);
  await new Promise((r) => setTimeout(r, 300));
  console.log(
    `\n## ${step.label}: ${subject.meter.roundTrips} round trips, ${subject.meter.commands} commands`,
  );
  for (const line of seen) console.log(`  ${line}`);
  console.log('  as the client sent them (round trip, command, first argument):');
  for (const line of subject.meter.trail ?? []) console.log(`    ${line}`);
  if (dumpAfter === step.label) {
    await printKeys(`keys after ${step.label}`);
    const stored = await admin.get(`ls:{tg:${user.id}}:session`);
    console.log(
      `stored session (${stored?.length ?? 0} B):`,
      stored && JSON.stringify(decodeStored(stored).session),
    );
  }
}
await printKeys('## keys after the task');
if (subject.problems.length > 0) console.log('\nproblems logged:', subject.problems.slice(0, 5));
console.log(`\nlast reply: ${api.chat(user.id).lastText}`);
await subject.close();
monitor.disconnect();
monitorClient.disconnect();
admin.disconnect();
server.stop();
