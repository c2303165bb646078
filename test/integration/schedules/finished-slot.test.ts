// A Schedule made by `fedimg schedules sync`, run for real: the real scheduledReleaseWorkflow and
// image release, a Koji simulator of the test's own, downloads to a directory.
//   - the build is named after the slot's date in the schedule's time zone: 23:30 in New York on
//     29 February 2024 is 04:30 UTC on 1 March, and the nightly is 20240229.n.0;
//   - a slot whose release already finished never builds again: the same slot run a second time
//     (a backfill, as a late catch-up or a repeated manual run would do) starts no release and no
//     Koji task (the starter's ALLOW_DUPLICATE_FAILED_ONLY).
// The slot is in the past and the cron (29 February) comes next in 2028: only the backfills run it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../config';
import type { ImageReleaseResult } from '../../../workflows/image-release';
import type { ScheduledReleaseResult } from '../../../workflows/scheduled-release';
import { startFastKoji, type FastKoji } from '../../helpers/fast-koji';
import { releaseConfig } from '../../helpers/release-config';
import { startReleaseWorker, type RunningReleaseWorker } from '../../helpers/release-worker';
import { cli } from '../cli/helpers';
import { waitFor } from '../../helpers/wait-for';

const tag = randomUUID().slice(0, 8);
const FAMILY = `Sched-Generic-${tag}`;
const owner = `finished-slot-${tag}`;
const configId = `finished-slot-${tag}`;
const scheduleId = `fedimg-${configId}`;
// 23:30 in New York (EST, UTC-5) on 29 February 2024 = 04:30 UTC on 1 March.
const SLOT = new Date('2024-03-01T04:30:00Z');
const IMAGE_ID = `image/${FAMILY}/44/44-20240229.n.0`;

const dir = mkdtempSync(join(tmpdir(), 'fedimg-finished-slot-'));
let koji: FastKoji;
let config: Config;
let downloadsDir: string;
let worker: RunningReleaseWorker;

beforeAll(async () => {
  koji = await startFastKoji(join(dir, 'koji-sim'), { imageSizeBytes: 8 * 1024 * 1024 });
  const rc = releaseConfig({
    dir,
    tag,
    queuePrefix: 'finished-slot',
    koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
    family: { name: FAMILY, arches: ['x86_64'], outputs: ['qcow2'], destinations: ['downloads'] },
  });
  config = structuredClone(rc.config);
  config.families[0]!.schedules = [{ id: configId, kind: 'nightly', release: '44', cron: '30 23 29 2 *', timezone: 'America/New_York', paused: false }];
  downloadsDir = rc.downloadsDir;
  worker = await startReleaseWorker(config, `finished-slot-${tag}`);
});

afterAll(async () => {
  // A config without the schedule: sync deletes what this run's owner made.
  const empty = structuredClone(config);
  empty.families[0]!.schedules = [];
  await fedimg(['schedules', 'sync', '--owner', owner], empty).catch(() => undefined);
  await worker?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await worker?.stop();
  await koji?.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fedimg(args: string[], cfg: Config = config): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  const r = await cli(cfg, [...args, '--json'], { watchIntervalMs: 500, user: 'finished-slot-test' });
  return { code: r.code, json: (r.json ?? {}) as Record<string, unknown>, err: r.err };
}

/** Runs the slot once more through the Schedule and returns what that run's starter decided. */
async function runSlot(nth: number): Promise<ScheduledReleaseResult> {
  const schedule = worker.client.schedule.getHandle(scheduleId);
  await schedule.backfill({ start: new Date(SLOT.getTime() - 60_000), end: new Date(SLOT.getTime() + 60_000), overlap: 'ALLOW_ALL' });
  const action = await waitFor(`run ${nth} of the slot`, async () => {
    const { info } = await schedule.describe();
    return info.numActionsTaken >= nth ? info.recentActions[nth - 1] : undefined;
  });
  expect(action.scheduledAt).toEqual(SLOT);
  const starter = worker.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
  return (await starter.result()) as ScheduledReleaseResult;
}

describe('a scheduled nightly', () => {
  it('is named after the slot’s date in the schedule’s time zone, and a finished slot never builds again', async () => {
    const synced = await fedimg(['schedules', 'sync', '--owner', owner]);
    expect(synced.err).toBe('');
    expect(synced.code).toBe(0);

    const first = await runSlot(1);
    expect(first).toEqual({ imageWorkflowId: IMAGE_ID, name: { version: '44', label: '20240229.n.0' }, started: true });
    const release = worker.client.workflow.getHandle(IMAGE_ID);
    const result = (await release.result()) as ImageReleaseResult;
    expect(result).toMatchObject({ status: 'completed', outcome: 'published' });
    const { runId } = await release.describe();
    expect(koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' })).toBe(1);
    const files = readdirSync(join(downloadsDir, '44', FAMILY, 'x86_64', 'images')).sort();
    expect(files).toContain(`Fedora-${FAMILY}-44-20240229.n.0.x86_64.qcow2`);

    // The same slot again, after its release completed.
    const second = await runSlot(2);
    expect(second).toEqual({ imageWorkflowId: IMAGE_ID, name: { version: '44', label: '20240229.n.0' }, started: false });
    // Still the one run of the release, closed as it was; no second Koji task.
    const latest = await release.describe();
    expect(latest.runId).toBe(runId);
    expect(latest.status.name).toBe('COMPLETED');
    expect(koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' })).toBe(1);
    expect(koji.sim.state().tasks.filter((t) => t.parent === null)).toHaveLength(1);
    let runs = 0;
    for await (const _ of worker.client.workflow.list({ query: `WorkflowId = "${IMAGE_ID}"` })) runs += 1;
    expect(runs).toBe(1);
  });
});
