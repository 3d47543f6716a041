/**
 * The functions that took the most self time in a V8 CPU profile (`node --cpu-prof`), and the same time
 * summed by where the code lives (a package, or a folder of this repository).
 *
 * Usage: `tsx bench/top-functions.ts [file.cpuprofile] [count]`; without a file, the main thread's profile of
 * the newest run in bench/profiles/ (`--import tsx` also profiles its loader thread). When bench/run.ts left
 * `windows.<pid>.json` beside it, only the samples inside the timed runs count (no seeding, no setup).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const PROFILES = join(process.cwd(), 'bench', 'profiles');

/** `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile` -> pid and thread. */
function nameParts(file: string): { pid: string; thread: string } {
  const parts = basename(file).split('.');
  return { pid: parts[3] ?? '', thread: parts[4] ?? '' };
}

function newestProfile(): string {
  const files = readdirSync(PROFILES)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(PROFILES, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const newest = files[0];
  if (!newest) throw new Error(`no .cpuprofile in ${PROFILES}; run npm run bench:profile first`);
  const { pid } = nameParts(newest);
  return files.find((file) => nameParts(file).pid === pid && nameParts(file).thread === '0') ?? newest;
}

/** A short, readable place: repo-relative path or the package's own path. */
function place(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  // The compiled benchmark (dist-bench/) is summed with the sources it was built from.
  return (path.startsWith('/') ? relative(process.cwd(), path) : path).replace(/^dist-bench\//, '');
}

/** Where time is summed by origin: a package, a folder of the repository, node itself, or V8. */
function origin(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const path = place(url);
  if (url.startsWith('node:')) return 'node (built-in modules)';
  if (url.includes('node_modules/')) {
    const parts = path.split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  const parts = path.split('/');
  return parts.length > 1 ? `${parts.slice(0, -1).join('/')}/` : path;
}

const file = process.argv[2] || newestProfile();
const count = Number(process.argv[3] ?? '25');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

const windowsFile = join(dirname(file), `windows.${nameParts(file).pid}.json`);
interface Windows {
  readonly windows: [number, number][];
  readonly messages?: number;
  readonly memoryWindows?: [number, number][];
  readonly memoryMessages?: number;
}
// PROFILE_WINDOWS=memory: the in-memory diagnostic run (lockstep with every store in memory) instead.
const memory = process.env.PROFILE_WINDOWS === 'memory';
const written = existsSync(windowsFile) ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as Windows) : null;
const windows = written ? ((memory ? written.memoryWindows : written.windows) ?? []) : null;
/** Messages handled inside the windows (0: not known), for µs per message. */
const messages = (written && (memory ? written.memoryMessages : written.messages)) || 0;
if (windows && windows.length === 0)
  throw new Error(`${windowsFile} has no ${memory ? 'in-memory ' : ''}timed run`);
const inWindow = (at: number) => !windows || windows.some(([from, to]) => at >= from && at <= to);

// Self time per node: each sample's time delta goes to the node that was on top of the stack.
const selfMicros = new Map<number, number>();
let total = 0;
let sampled = 0;
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  sampled += delta;
  if (!inWindow(at)) return;
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  total += delta;
});
if (windows && total === 0)
  throw new Error(`no sample of ${file} falls inside the windows of ${windowsFile}`);

const byFunction = new Map<string, { name: string; where: string; micros: number }>();
const byOrigin = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = nodes.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  const where = url ? `${place(url)}:${lineNumber + 1}` : '';
  const key = `${name} ${where}`;
  const entry = byFunction.get(key) ?? { name, where, micros: 0 };
  entry.micros += micros;
  byFunction.set(key, entry);
  const from = origin(url, name);
  byOrigin.set(from, (byOrigin.get(from) ?? 0) + micros);
}

const ms = (micros: number) => (micros / 1000).toFixed(0).padStart(7);
const pct = (micros: number) =>
  `${((micros / total) * 100).toFixed(1)}%`.padStart(6) +
  (messages > 0 ? `${(micros / messages).toFixed(1)} µs/msg`.padStart(14) : '');
console.log(
  `${relative(process.cwd(), file)}: ${(sampled / 1e6).toFixed(1)} s sampled${windows ? `, ${(total / 1e6).toFixed(1)} s of them inside the ${windows.length} timed ${memory ? 'in-memory ' : ''}run${windows.length === 1 ? '' : 's'} (the rest, seeding and setup, left out)${messages > 0 ? `, ${messages.toLocaleString('en-US')} messages` : ''}` : ''}`,
);
console.log(`top ${count} functions by self time:`);
console.log(`${'ms'.padStart(7)} ${'self'.padStart(6)}  function (where)`);
for (const entry of [...byFunction.values()].sort((a, b) => b.micros - a.micros).slice(0, count)) {
  console.log(
    `${ms(entry.micros)} ${pct(entry.micros)}  ${entry.name}${entry.where ? ` (${entry.where})` : ''}`,
  );
}
console.log('');
console.log('self time by origin:');
for (const [from, micros] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${ms(micros)} ${pct(micros)}  ${from}`);
}
