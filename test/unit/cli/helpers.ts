// A config for CLI unit tests (the shipped defaults, loaded without touching process.env) and
// deps that capture output and refuse to connect anywhere.
import base from '../../../temporal.config';
import { loadConfig } from '../../../config/load';
import type { Config } from '../../../config';
import type { CliDeps } from '../../../scripts/cli/context';

export function testConfig(edit?: (c: Config) => void): Config {
  const r = loadConfig({ base, env: {} });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const c = structuredClone(r.config);
  edit?.(c);
  return c;
}

export function captureDeps(config: Config = testConfig(), overrides: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    config: () => config,
    connect: () => Promise.reject(new Error('unit tests do not connect to Temporal')),
    io: { out: (s) => void out.push(s), err: (s) => void err.push(s), isTTY: false },
    now: () => new Date('2026-11-22T10:00:00Z'),
    sleep: () => Promise.resolve(),
    watchIntervalMs: 1,
    user: 'tester',
    ...overrides,
  };
  return { deps, out: () => out.join(''), err: () => err.join('') };
}
