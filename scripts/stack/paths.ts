// Where the local stack keeps its state (per checkout, git-ignored) and its cached builds
// (per machine, so a fresh clone on a warm machine reuses the Temporal CLI and the Python venv).
import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
