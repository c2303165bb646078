// Builds the effective configuration: temporal.config.ts, then an optional JSON file named by
// FEDIMG_CONFIG_FILE, then FEDIMG__SECTION__KEY environment variables, then validation. Every
// problem is reported at once so an operator fixes a config in one round, not one per restart.
import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema';
import { formatIssues } from './format-issues';

export type LoadResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export interface LoadOptions {
  base: unknown;
  env?: NodeJS.ProcessEnv;
}

const ENV_PREFIX = 'FEDIMG__';

export function loadConfig({ base, env = process.env }: LoadOptions): LoadResult {
  const problems: string[] = [];
  let merged = structuredClone(base) as Record<string, unknown>;

  const file = env.FEDIMG_CONFIG_FILE;
  if (file) {
    try {
      merged = deepMerge(merged, JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      problems.push(`FEDIMG_CONFIG_FILE (${file}): cannot be read as JSON: ${(err as Error).message}`);
    }
  }
  for (const [key, raw] of Object.entries(env).sort()) {
    if (!key.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const problem = applyEnvOverride(merged, key.slice(ENV_PREFIX.length).split('__'), raw);
    if (problem) problems.push(`${key}: ${problem}`);
  }

  const parsed = configSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: parsed.success ? parsed.data : (undefined as never) };
}

/** Matches KOJI / HUB_URL against keys such as koji / hubUrl, ignoring case and underscores. */
function applyEnvOverride(target: Record<string, unknown>, segments: string[], raw: string): string | undefined {
  let node: unknown = target;
  const path: string[] = [];
  for (const [i, seg] of segments.entries()) {
    if (node === null || typeof node !== 'object') return `no setting at ${path.join('.')}.${seg.toLowerCase()}`;
    const obj = node as Record<string, unknown>;
    const wanted = normalise(seg);
    const key = Array.isArray(obj) ? seg : (Object.keys(obj).find((k) => normalise(k) === wanted) ?? camel(seg));
    path.push(key);
    if (i === segments.length - 1) {
      obj[key] = parseEnvValue(raw);
      return undefined;
    }
    if (obj[key] === undefined) obj[key] = {};
    node = obj[key];
  }
  return undefined;
}

const normalise = (s: string) => s.replace(/_/g, '').toLowerCase();
const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** JSON where it parses (numbers, booleans, arrays), otherwise the plain string. */
function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function deepMerge(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (over === null || typeof over !== 'object' || Array.isArray(over)) {
    throw new Error('the file must hold a JSON object');
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v)
        : v;
  }
  return out;
}
