// The entry every process uses: load, validate, and on a bad config print every problem and exit 2.
import base from '../temporal.config';
import { loadConfig } from './load';
import type { Config } from './schema';

export type { Config, Family, Arch, SecretRef } from './schema';

export const CONFIG_EXIT_CODE = 2;

let cached: Config | undefined;

export function getConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const result = loadConfig({ base, env });
  if (!result.ok) {
    process.stderr.write(
      `fedimg: the configuration has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:\n` +
        result.problems.map((p) => `  - ${p}\n`).join('') +
        'Fix them in temporal.config.ts, the FEDIMG_CONFIG_FILE file or the FEDIMG__* variables.\n',
    );
    process.exit(CONFIG_EXIT_CODE);
  }
  if (env === process.env) cached = result.config;
  return result.config;
}
