// Running the image tools (qemu-img, xz, tar) as child processes that an AbortSignal can stop.
// Each tool is the leader of its own process group (spawn `detached`), so an abort kills the
// group with SIGKILL, threads and helpers included. `done` settles only after the process has
// exited and its pipes are closed, so callers may delete its files right after.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ToolFailedError } from './errors';

export interface ToolFailure {
  tool: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Start and end of what the tool wrote to stderr (bounded; tools can be very chatty). */
  stderr: string;
}

export interface ToolOptions {
  signal?: AbortSignal | undefined;
  cwd?: string;
  stdin?: 'ignore' | 'pipe';
  stdout?: 'ignore' | 'pipe';
  /** Turns a failure into a more telling error (disk full, corrupt input); undefined keeps ToolFailedError. */
  classify?: (failure: ToolFailure) => Error | undefined;
  /** Sees stdout when nothing else reads it (e.g. qemu-img -p progress lines). */
  onStdout?: (text: string) => void;
  /** Exit statuses that count as success (qemu-img check: 3 means leaked clusters only). */
  okExitCodes?: readonly number[];
}

export interface ToolRun {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  /** Resolves with the exit status when it is in okExitCodes (default 0); rejects with the abort
   *  reason, the classified error or ToolFailedError. */
  readonly done: Promise<number>;
  /** Kill the whole process group (idempotent). */
  kill(): void;
}

const HEAD_BYTES = 2048;
const TAIL_BYTES = 4096;

/** Keeps the first and the last few KiB of a stream of text; memory stays bounded. */
class BoundedText {
  private head = '';
  private tail = '';
  private dropped = false;
  push(text: string): void {
    if (this.head.length < HEAD_BYTES) {
      const room = HEAD_BYTES - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text.length === 0) return;
    this.tail += text;
    if (this.tail.length > TAIL_BYTES) {
      this.tail = this.tail.slice(-TAIL_BYTES);
      this.dropped = true;
    }
  }
  toString(): string {
    return this.dropped ? `${this.head}\n[…]\n${this.tail}` : this.head + this.tail;
  }
}

export function startTool(command: string, args: readonly string[], options: ToolOptions = {}): ToolRun {
  const { signal } = options;
  signal?.throwIfAborted();
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    detached: true,
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  const stderr = new BoundedText();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => stderr.push(text));
  if (options.onStdout && child.stdout) {
    const onStdout = options.onStdout;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => onStdout(text));
  }

  let killed = false;
  const kill = () => {
    if (killed || child.pid === undefined) return;
    killed = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    // Unread pipe data would keep 'close' from firing.
    child.stdout?.destroy();
    child.stdin?.destroy();
  };
  const onAbort = () => kill();
  signal?.addEventListener('abort', onAbort, { once: true });

  const okExitCodes = options.okExitCodes ?? [0];
  const done = new Promise<number>((resolve, reject) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (spawnError?.code === 'ENOENT') {
        return reject(new ToolFailedError(`${command} is not installed or not on PATH; install it on this worker host (${installHint(command)})`, command, null, null, ''));
      }
      if (code !== null && okExitCodes.includes(code) && !spawnError) return resolve(code);
      const failure: ToolFailure = { tool: command, exitCode: code, signal: sig, stderr: stderr.toString().trim() };
      const classified = options.classify?.(failure);
      reject(classified ?? toolFailed(failure, args));
    };
    child.once('close', finish);
  });
  // Callers that only use `done` later must not see an unhandled rejection in between.
  done.catch(() => undefined);

  return { pid: child.pid ?? -1, stdin: child.stdin, stdout: child.stdout, done, kill };
}

/** Run a tool to completion and return its stdout as text (for small outputs: info, check, list). */
export async function runTool(
  command: string,
  args: readonly string[],
  options: Omit<ToolOptions, 'stdout' | 'onStdout'> = {},
): Promise<{ stdout: string; exitCode: number }> {
  let stdout = '';
  const run = startTool(command, args, { ...options, stdout: 'pipe', onStdout: (t) => (stdout += t) });
  const exitCode = await run.done;
  return { stdout, exitCode };
}

export function toolFailed(f: ToolFailure, args: readonly string[] = []): ToolFailedError {
  const how = f.signal ? `was killed by ${f.signal}` : `exited with status ${f.exitCode}`;
  const said = f.stderr ? `: ${f.stderr}` : ' without a message';
  return new ToolFailedError(`${f.tool} ${args.join(' ')} ${how}${said}`, f.tool, f.exitCode, f.signal, f.stderr);
}

function installHint(command: string): string {
  switch (command) {
    case 'qemu-img':
      return 'Debian/Ubuntu: qemu-utils, Fedora: qemu-img';
    case 'xz':
      return 'xz-utils / xz';
    case 'tar':
      return 'GNU tar';
    default:
      return 'see the README';
  }
}
