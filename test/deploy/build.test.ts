/**
 * Production runs compiled JavaScript (issue 14): `tsc -p tsconfig.build.json` (the Dockerfile's build
 * step) compiles, every relative `.ts` import becomes `.js`, and the compiled entry point runs under plain
 * `node` (no tsx): the console demo answers and exits cleanly at the end of its input.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { t } from '../../src/catalog/catalog.ts';
import { ROOT } from '../helpers/run-process.ts';

// Laid out as in the image: dist/, with package.json (ESM) and node_modules beside it.
const app = mkdtempSync(join(tmpdir(), 'lockstep-build-'));
const out = join(app, 'dist');
symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
symlinkSync(join(ROOT, 'package.json'), join(app, 'package.json'));
afterAll(() => rmSync(app, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function run(
  args: string[],
  options: { cwd: string; stdin: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not end in time\n${stdout}\n${stderr}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin);
  });
}

describe('the production build', { timeout: 180_000 }, () => {
  it('compiles to JavaScript whose relative imports all end in .js', () => {
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: ROOT, encoding: 'utf8', timeout: 170_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const files = filesUnder(out);
    expect(files).toContain(join(out, 'src/main.js'));
    expect(files).toContain(join(out, 'src/admin/cli.js'));
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from\s+['"]\.{1,2}\/[^'"]*\.ts['"]/);
      expect(text, file).not.toMatch(/import\(\s*['"]\.{1,2}\/[^'"]*\.ts['"]\s*\)/);
    }
  });

  it('starts under plain node: the console demo answers and exits 0 at the end of its input', async () => {
    const started = Date.now();
    const result = await run(['dist/src/main.js'], { cwd: app, stdin: '/help\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(t('en', 'console.banner'));
    expect(result.stdout).toContain(t('en', 'common.help').split('\n')[0]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
