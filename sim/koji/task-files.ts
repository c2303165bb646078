// The KojiDir layout under the data directory: task output in work/tasks/<id % 10000>/<id>/,
// scratch image results moved to scratch/<owner>/task_<id>/ with symlinks left behind in
// work/ (what host.moveImageBuildToScratch does), a non-scratch build's files moved to
// packages/<name>/<version>/<release>/images/ and its logs to data/logs/image/ beside it, again
// with symlinks left in work/ (host.completeImageBuild), user uploads under work/<dir>/.
import { access, mkdir, readdir, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';

export interface OutputFile {
  /** Relative to the task directory (subdirectories use "/"). */
  name: string;
  size: bigint;
  atime: number;
  mtime: number;
  ctime: number;
}

export function taskRelPath(id: number): string {
  return `tasks/${id % 10000}/${id}`;
}

const seconds = (ns: bigint) => Number(ns) / 1e9;

const PUBLISHED = ['work', 'scratch', 'packages'];

export class TaskFiles {
  constructor(readonly root: string) {}

  get workDir(): string {
    return join(this.root, 'work');
  }

  taskDir(id: number): string {
    return join(this.workDir, taskRelPath(id));
  }

  async ensureTaskDir(id: number): Promise<string> {
    const d = this.taskDir(id);
    await mkdir(d, { recursive: true });
    return d;
  }

  /** Forgets every task's files (the sim keeps its tasks in memory only). */
  async reset(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
    await rm(join(this.root, 'scratch'), { recursive: true, force: true });
    await rm(join(this.root, 'packages'), { recursive: true, force: true });
    await mkdir(this.workDir, { recursive: true });
  }

  /** os.walk of the task directory; symlinked files count as files, stat follows them. */
  async list(id: number): Promise<OutputFile[]> {
    const base = this.taskDir(id);
    const out: OutputFile[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        let st: BigIntStats;
        try {
          st = await stat(full, { bigint: true });
        } catch {
          continue; // dangling link
        }
        if (st.isDirectory()) {
          if (!e.isSymbolicLink()) await walk(full);
          continue;
        }
        if (!st.isFile()) continue;
        out.push({
          name: relative(base, full).split(sep).join('/'),
          size: st.size,
          atime: seconds(st.atimeNs),
          mtime: seconds(st.mtimeNs),
          ctime: seconds(st.ctimeNs),
        });
      }
    };
    await walk(base);
    return out;
  }

  /** Moves the named files to scratch/<owner>/task_<id>/ and links them back into work/. */
  async moveToScratch(id: number, owner: string, names: readonly string[]): Promise<void> {
    const dest = join(this.root, 'scratch', owner, `task_${id}`);
    await mkdir(dest, { recursive: true });
    for (const name of new Set(names)) {
      const from = join(this.taskDir(id), name);
      const to = join(dest, name);
      try {
        await rename(from, to);
      } catch {
        continue; // listed but never written
      }
      await symlink(relative(this.taskDir(id), to), from);
    }
  }

  /** koji.pathinfo.build: packages/<name>/<version>/<release> (DEFAULT volume). */
  buildRelPath(b: { name: string; version: string; release: string }): string {
    return `packages/${b.name}/${b.version}/${b.release}`;
  }

  /**
   * importImageInternal: the result's files to <build>/images/, every *.log of the task to
   * <build>/data/logs/image/ (under <arch>/ for kiwi and livemedia, or when the name is taken),
   * each leaving a relative symlink in the task directory.
   */
  async moveToBuild(id: number, build: { name: string; version: string; release: string }, files: readonly string[], arch: string, logsByArch: boolean): Promise<void> {
    const buildDir = join(this.root, this.buildRelPath(build));
    const taskDir = this.taskDir(id);
    const move = async (name: string, destDir: string) => {
      const from = join(taskDir, name);
      const to = join(destDir, name);
      await mkdir(destDir, { recursive: true });
      try {
        await rename(from, to);
      } catch {
        return; // listed but never written
      }
      await symlink(relative(taskDir, to), from);
    };
    for (const f of new Set(files)) await move(f, join(buildDir, 'images'));
    const logDir = join(buildDir, 'data', 'logs', 'image');
    const logs = (await readdir(taskDir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.log')).map((e) => e.name);
    for (const log of logs) {
      const taken = await access(join(logDir, log)).then(
        () => true,
        () => false,
      );
      await move(log, logsByArch || taken ? join(logDir, arch) : logDir);
    }
  }

  /**
   * A path relative to the KojiDir (as under /kojifiles/) to a real file inside it, or undefined.
   * Only work/, scratch/ and packages/ are published (the data directory also holds the image cache and the
   * seeded users' secrets); "..", absolute paths and links that lead outside are refused.
   */
  async resolvePublic(rel: string): Promise<string | undefined> {
    if (rel.includes('\0') || isAbsolute(rel) || rel.split('/').includes('..')) return undefined;
    if (!PUBLISHED.includes(rel.split('/')[0]!)) return undefined;
    const p = join(this.root, normalize(rel));
    try {
      const real = await realpath(p);
      const rootReal = await realpath(this.root);
      if (real !== rootReal && !real.startsWith(rootReal + sep)) return undefined;
      const st = await stat(real);
      return st.isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }
}
