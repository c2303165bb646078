// Removes staged image folders no workflow will clean up any more.
//
// The arch pipeline removes an image's staged files through `removeStaged` on the host's own
// queue, with a schedule-to-start of the lost-host time. A host that comes back later than that
// (or a worker killed before the cleanup ran, its release then terminated by an operator) keeps
// the folder for good, and a build host's disk fills up release by release. So each host looks
// at its own staging dir on start and then periodically: a folder whose release workflow is no
// longer running (any closed status, or unknown to Temporal) goes. The release is named by the
// marker the fetch writes into the folder (the folder's name is a lossy digest of the key).
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { STAGING_MARKER, type StagingMarker } from '../activities/staging-paths';

export interface JanitorDeps {
  stagingDir: string;
  client: Pick<Client, 'workflow'>;
  /** A folder without a readable marker is removed once nothing in it changed for this long. */
  orphanAfterMs: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface JanitorRound {
  removed: Array<{ folder: string; workflowId?: string; why: string; bytes: number }>;
  kept: number;
  /** Folders left for the next round because Temporal could not answer. */
  undecided: number;
}

type Verdict = { remove: true; why: string; workflowId?: string; survey?: { bytes: number } } | { remove: false; undecided?: boolean };

export async function sweepStaging(deps: JanitorDeps): Promise<JanitorRound> {
  const log = deps.log ?? (() => undefined);
  const round: JanitorRound = { removed: [], kept: 0, undecided: 0 };
  // Once Temporal does not answer, the rest of the round is not asked (each try takes the
  // client's retries, seconds long): everything marked waits for the next round.
  const temporal = { reachable: true };
  const entries = await readdir(deps.stagingDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) =>
    err.code === 'ENOENT' ? [] : Promise.reject(err),
  );
  for (const e of entries) {
    // Only real folders: a symlink in the staging dir is not ours to follow or delete through.
    if (!e.isDirectory()) continue;
    const folder = join(deps.stagingDir, e.name);
    const verdict = await judge(folder, deps, temporal);
    if (!verdict.remove) {
      if (verdict.undecided) round.undecided += 1;
      else round.kept += 1;
      continue;
    }
    const { bytes } = verdict.survey ?? (await survey(folder));
    await rm(folder, { recursive: true, force: true });
    round.removed.push({ folder: e.name, ...(verdict.workflowId ? { workflowId: verdict.workflowId } : {}), why: verdict.why, bytes });
    log(`staging janitor: removed ${e.name} (${verdict.workflowId ?? 'no marker'}: ${verdict.why}), ${bytes} bytes freed`);
  }
  return round;
}

async function judge(folder: string, deps: JanitorDeps, temporal: { reachable: boolean }): Promise<Verdict> {
  const marker = await readMarker(folder);
  if (!marker) {
    const found = await survey(folder);
    const idle = (deps.now ?? Date.now)() - found.newestMs;
    return idle > deps.orphanAfterMs ? { remove: true, why: `no marker and unchanged for ${Math.round(idle / 3_600_000)} h`, survey: found } : { remove: false };
  }
  const workflowId = marker.releaseWorkflowId;
  if (!temporal.reachable) return { remove: false, undecided: true };
  try {
    const d = await deps.client.workflow.getHandle(workflowId).describe();
    if (d.status.name === 'RUNNING') return { remove: false };
    return { remove: true, workflowId, why: `the release is ${d.status.name.toLowerCase()}` };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { remove: true, workflowId, why: 'Temporal knows no such release' };
    temporal.reachable = false;
    deps.log?.(`staging janitor: cannot ask Temporal about ${workflowId}, keeping staged files this round: ${(err as Error).message}`);
    return { remove: false, undecided: true };
  }
}

async function readMarker(folder: string): Promise<StagingMarker | undefined> {
  try {
    const m = JSON.parse(await readFile(join(folder, STAGING_MARKER), 'utf8')) as Partial<StagingMarker>;
    return typeof m.releaseWorkflowId === 'string' && m.releaseWorkflowId.length > 0 ? (m as StagingMarker) : undefined;
  } catch {
    return undefined;
  }
}

/** One walk: the newest mtime (the folder's own included) and the allocated bytes; symlinks
 *  are looked at (lstat), never followed. */
async function survey(folder: string): Promise<{ newestMs: number; bytes: number }> {
  let newestMs = (await lstat(folder)).mtimeMs;
  let bytes = 0;
  for (const e of await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => [])) {
    const st = await lstat(join(e.parentPath, e.name)).catch(() => undefined);
    if (!st) continue;
    newestMs = Math.max(newestMs, st.mtimeMs);
    // Allocated blocks, not the logical size: staged raw images are sparse.
    if (st.isFile()) bytes += st.blocks * 512;
  }
  return { newestMs, bytes };
}

/** Sweeps now and every `intervalMs` until stopped; a failed round is logged, never fatal. */
export function startStagingJanitor(deps: JanitorDeps & { intervalMs: number }): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const round = () => {
    // A round still going (a slow disk, Temporal's retries) is not joined by a second one.
    if (stopped || running) return;
    running = sweepStaging(deps)
      .catch((err: unknown) => deps.log?.(`staging janitor: round failed: ${(err as Error).message}`))
      .finally(() => (running = undefined));
  };
  round();
  const timer = setInterval(round, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
