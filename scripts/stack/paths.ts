// Where the local stack keeps its state (per checkout, git-ignored) and its cached builds
// (per machine, so a fresh clone on a warm machine reuses the Temporal CLI and the Python venv).
import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Every stack entry (demo, stack:up, prepare, the tests' global setup) passes here. On an older
// Node, say how to get Node 24 rather than fail later inside a dependency (better-sqlite3 13
// needs Node 22; Node 20 is past its end of life).
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
if (NODE_MAJOR < 24) {
  process.stderr.write(`fedimg needs Node 24 or newer, this is Node ${process.version}: run \`. scripts/node24.sh\` in this shell (it installs Node 24 from the npm registry once), then run the command again\n`);
  process.exit(1);
}

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const STACK_DIR = process.env.FEDIMG_STACK_DIR ?? join(REPO_ROOT, '.stack');
export const CACHE_DIR = process.env.FEDIMG_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fedimg');
export const PID_DIR = join(STACK_DIR, 'pids');
export const LOG_DIR = join(STACK_DIR, 'logs');
export const VENV_DIR = join(CACHE_DIR, 'venv');

/**
 * Creates the state folder traversable by the service users (postgres, rabbitmq): a secrets
 * writer creating it first with 0700 would lock them out of their own data folders below it.
 */
export function ensureStackDir(): void {
  mkdirSync(STACK_DIR, { recursive: true });
  chmodSync(STACK_DIR, 0o755);
}
