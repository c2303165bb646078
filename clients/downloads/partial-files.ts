// Temporary files of the directory target, and sweeping up those a dead writer left behind.
//
// A writer killed outright (SIGKILL, a lost host) never reaches its `finally`, so its
// `.<file>.<tag>.partial` stays in the published tree for every reader of the directory to see.
// The next attempt at the same file removes it, but only when it can tell the writer is gone:
// the name carries the writer's host and pid, so on the same host a pid that no longer runs is
// proof enough; a file from another host (an NFS-shared tree) is only removed once it has not
// been written to for `staleAfterMs`, because a live writer on another host cannot be asked.
// Removing a file a live writer still holds would not corrupt anything (its rename would fail
// and it would retry), but it would waste its work, so the rules stay conservative.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A partial file from another host untouched this long is taken as abandoned. */
export const DEFAULT_STALE_AFTER_MS = 6 * 60 * 60 * 1000;

const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 12);
const TAG = /^([0-9a-f]{12})-(\d+)-[0-9a-f]{12}$/;

/** A fresh temporary name beside `base`, unique to this writer and this attempt. */
export function partialName(base: string): string {
  return `.${base}.${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}.partial`;
}

/** Removes the abandoned temporary files of `base` in `dir`; returns the names removed. */
export async function sweepAbandonedPartials(dir: string, base: string, staleAfterMs = DEFAULT_STALE_AFTER_MS): Promise<string[]> {
  const prefix = `.${base}.`;
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue;
    const path = join(dir, name);
    if (!(await isAbandoned(path, name.slice(prefix.length, -'.partial'.length), staleAfterMs))) continue;
    await unlink(path).then(
      () => removed.push(name),
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)),
    );
  }
  return removed;
}

async function isAbandoned(path: string, tag: string, staleAfterMs: number): Promise<boolean> {
  const m = TAG.exec(tag);
  if (m && m[1] === HOST_TAG) {
    const pid = Number(m[2]);
    // Our own pid is another attempt in this very process, alive by definition.
    if (pid !== process.pid && !processRuns(pid)) return true;
  }
  // Another host's writer, a name from before writers were tagged, or a pid that was reused:
  // judge by age, since a live writer touches its file with every chunk.
  const st = await lstat(path).catch(() => undefined);
  return st !== undefined && st.isFile() && Date.now() - st.mtimeMs > staleAfterMs;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
