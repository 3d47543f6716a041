/** One hashing measurement in a fresh process (so memory figures are not hidden by an earlier run). */
import { PasswordHasher } from '../src/accounts/password-hasher.ts';

const concurrency = Number(process.argv[2] ?? '2');
const burst = 16;
const hasher = new PasswordHasher(undefined, concurrency);
await hasher.hash('Warm-up-password-1');
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 2);
const started = performance.now();
await Promise.all(Array.from({ length: burst }, (_, i) => hasher.hash(`Burst-password-${i}`)));
const elapsed = performance.now() - started;
clearInterval(sampler);
console.log(
  JSON.stringify({
    concurrency,
    burst,
    msPerHash: elapsed / burst,
    perSecond: burst / (elapsed / 1000),
    rssPeakMiB: peak / 1_048_576,
  }),
);
