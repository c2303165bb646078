// Starting and stopping the stack's own processes. Each one is recorded by PID in .stack/pids;
// stopping kills only what is recorded there, never a process found by name or port.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR, PID_DIR } from './paths';

export function logPath(name: string): string {
  return join(LOG_DIR, `${name}.log`);
}

export function pidFile(name: string): string {
  return join(PID_DIR, `${name}.pid`);
}

export function recordedPid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a process in its own session, output to .stack/logs/<name>.log, PID recorded. */
export function startDetached(name: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): number {
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(PID_DIR, { recursive: true });
  const out = openSync(logPath(name), 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM to the recorded process group, SIGKILL after the grace period. */
export async function stopRecorded(name: string, graceMs = 15_000): Promise<'stopped' | 'not running'> {
  const pid = recordedPid(name);
  if (!isAlive(pid) || pid === undefined) {
    rmSync(pidFile(name), { force: true });
    return 'not running';
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  rmSync(pidFile(name), { force: true });
  return 'stopped';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, stillStarting?: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (stillStarting && !stillStarting()) return false;
    await sleep(300);
  }
  return false;
}

export function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function lastLines(file: string, n = 5): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
}
