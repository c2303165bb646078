// Small helpers for the image tests: run real tools, look at files and at our child processes.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export async function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await execFileP(cmd, args, { cwd: opts.cwd, maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 };
  }
}

export async function mustSh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export async function sha256sum(path: string): Promise<string> {
  return (await mustSh('sha256sum', [path])).split(' ')[0] ?? '';
}

export async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await sh('cmp', ['--silent', a, b])).code === 0;
}

export async function makeTmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `img-${prefix}-`));
}

export async function removeTmp(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Everything under dir, recursively, hidden files included. */
export async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.sort();
}

export interface ChildProc {
  pid: number;
  comm: string;
}

/** Live (non-zombie) children of this process whose command is one of `names`. */
export async function childProcesses(names: string[] = ['qemu-img', 'xz', 'tar']): Promise<ChildProc[]> {
  const out: ChildProc[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const statText = await readFile(`/proc/${entry}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(statText);
      if (!m) continue;
      const [, comm = '', state, ppid] = m;
      if (Number(ppid) === process.pid && state !== 'Z' && names.includes(comm)) out.push({ pid: Number(entry), comm });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let lastMountProblem = '';

/** Mount a small tmpfs (needs root); undefined where that is not allowed. */
export async function mountTmpfs(dir: string, size: string): Promise<(() => Promise<void>) | undefined> {
  const r = await sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (r.code !== 0) {
    lastMountProblem = `mount -t tmpfs -o size=${size} tmpfs ${dir} exited ${r.code}: ${r.stderr.trim() || '(no message)'}`;
    return undefined;
  }
  return async () => {
    await sh('umount', [dir]);
  };
}

/** True when the CI variable says this is a CI run (CI=true, CI=1; not unset, empty, false or 0). */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/**
 * What a disk-full test does when no tmpfs could be mounted: skip on a developer's machine (not
 * root), but fail under CI, which runs as root: there a skip would hide that the disk-full
 * behaviour went untested.
 */
export function noTmpfs(ctx: { skip(note?: string): never }): never {
  const reason = 'cannot mount a tmpfs here (needs root)';
  if (underCi()) {
    throw new Error(
      `${reason}, and CI=${process.env.CI ?? ''} says this is CI, where the disk-full tests must run, not skip: ` +
        `run the tests as root on a machine that allows mount -t tmpfs (${lastMountProblem || 'no mount was tried'})`,
    );
  }
  return ctx.skip(reason);
}
