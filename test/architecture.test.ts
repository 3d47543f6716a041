/**
 * The shape of the code, checked: the core imports nothing, flows import only xstate and the core,
 * services import no flow, engine or HTTP module, and no module imports itself through others.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-process.ts';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...files(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

/** module -> the modules and packages it imports (relative paths resolved against the root). */
function graph(): Map<string, string[]> {
  const all = [...files('src'), ...files('flows'), ...files('adapters')];
  const edges = new Map<string, string[]>();
  for (const file of all) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? '';
      targets.push(spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec);
    }
    edges.set(file, targets);
  }
  return edges;
}

const edges = graph();
const isLocal = (target: string) => target.endsWith('.ts');
const under = (prefix: string) => [...edges.keys()].filter((file) => file.startsWith(prefix));

describe('module boundaries', () => {
  it('has a core module that imports nothing', () => {
    expect(under('src/core/').length).toBeGreaterThan(0);
    for (const file of under('src/core/')) {
      const outside = (edges.get(file) ?? []).filter((target) => !target.startsWith('src/core/'));
      expect({ file, outside }).toEqual({ file, outside: [] });
    }
  });

  it('lets flows import only xstate, other flows and the core', () => {
    for (const file of under('flows/')) {
      const bad = (edges.get(file) ?? []).filter(
        (target) => !(target === 'xstate' || target.startsWith('flows/') || target.startsWith('src/core/')),
      );
      expect({ file, bad }).toEqual({ file, bad: [] });
    }
  });

  it('keeps services free of flows, the engine, adapters, HTTP and the composition root', () => {
    const services = [
      'src/accounts/',
      'src/codes/',
      'src/twofa/',
      'src/linking/',
      'src/delivery/',
      'src/kv/',
      'src/notices/',
    ];
    const forbidden = [
      'flows/',
      'src/engine/',
      'src/http/',
      'adapters/',
      'src/bindings/',
      'src/composition/',
      'src/services.ts',
      'src/main.ts',
    ];
    for (const file of services.flatMap(under)) {
      const bad = (edges.get(file) ?? []).filter((target) =>
        forbidden.some((prefix) => target.startsWith(prefix)),
      );
      expect({ file, bad }).toEqual({ file, bad: [] });
    }
  });

  it('has no import cycles', () => {
    const cycles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of (edges.get(file) ?? []).filter(isLocal)) {
        if (!edges.has(target)) continue;
        if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target]);
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of edges.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
