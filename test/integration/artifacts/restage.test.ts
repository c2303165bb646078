// The arch pipeline on two or three worker "hosts" (processes with their own host ids, queues
// and staging dirs), against the stack's Temporal server, the Koji simulator's file server
// and real qemu-img/xz/tar:
//  - a host that disappears after staging: the conversion's queue is not polled, the image is
//    staged again on another host, which converts and publishes it;
//  - a host whose staging disk (a real small tmpfs) fills up during the conversion: the failure
//    is final on that host, its partial files are removed, the image is staged on another host;
//  - every host full: the arch fails with NoStagingHost naming each host and the disk problem.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingFolder } from '../../../activities/staging-paths';
import type { BuiltImage } from '../../../domain/image-release';
import { startKojiSim, type KojiSim } from '../../../sim/koji';
import { progressQuery } from '../../../workflows/signals';
import { smallImageSpec, writeDiskImage } from '../../unit/images/disk-image';
import { makeTmp, mountTmpfs, mustSh, noTmpfs, removeTmp } from '../../unit/images/helpers';
import { DOWNLOAD_LAYOUT, releaseInput, startCluster, type ArchResult, type Cluster, type TestHost } from './hosts';

const TASK = 424242;
const FILE = 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.raw.xz';
let root = '';
let sim: KojiSim;
let image: BuiltImage;
const mounts: Array<() => Promise<void>> = [];

beforeAll(async () => {
  root = await makeTmp('restage');
  sim = await startKojiSim({ dataDir: join(root, 'koji'), users: [] });
  mkdirSync(sim.taskDir(TASK), { recursive: true });
  const raw = join(root, 'disk.raw');
  await writeDiskImage(raw, smallImageSpec(11));
  const xz = join(sim.taskDir(TASK), FILE);
  await mustSh('sh', ['-c', `xz -T1 -c "${raw}" > "${xz}"`]);
  const bytes = await readFile(xz);
  image = { arch: 'x86_64', childTaskId: TASK, file: FILE, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
});

afterAll(async () => {
  for (const unmount of mounts) await unmount();
  await sim?.close();
  await removeTmp(root);
});

/** A staging dir on its own tmpfs: room for the fetched image, not for the raw made from it. */
async function smallDisk(name: string): Promise<string | undefined> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const unmount = await mountTmpfs(dir, `${Math.ceil(image.size / (1 << 20)) + 1}m`);
  if (!unmount) return undefined;
  mounts.push(unmount);
  return dir;
}

function dir(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

async function published(downloadsRoot: string, result: ArchResult): Promise<void> {
  expect(result.destinations.downloads?.ok).toBe(true);
  const images = join(downloadsRoot, DOWNLOAD_LAYOUT.replace('{release}', '44').replace('{family}', 'Cloud-Base-Generic').replace('{arch}', 'x86_64').replace('/{file}', ''));
  const names = (await readdir(images)).sort();
  expect(names).toEqual(['Fedora-Cloud-Base-Generic-44-1.7.x86_64-CHECKSUM', 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2', 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.raw.tar.xz']);
  const qcow2 = await readFile(join(images, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2'));
  expect(createHash('sha256').update(qcow2).digest('hex')).toBe(result.artifacts.qcow2?.sha256);
}

/** Resolves once the host has staged the image. */
function stagedOnce(): { staged: Promise<TestHost>; hook: (h: TestHost) => void } {
  let resolve: (h: TestHost) => void = () => undefined;
  const staged = new Promise<TestHost>((r) => (resolve = r));
  return { staged, hook: (h) => resolve(h) };
}

describe('an arch staged again on another host', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('host lost after staging: staged again on another host, which converts and publishes', async () => {
    const downloads = dir('dl-lost');
    const c = (cluster = await startCluster({ topUrl: sim.topUrl, downloadsRoot: downloads }));
    // Host A dies right after the fetch: its own queue is never polled again. Only A is up then,
    // so A is the one that stages.
    const aStaged = stagedOnce();
    const a = await c.startHost('host-a', dir('staging-a'), { stopHostQueueOnStage: true, onStaged: aStaged.hook });
    const handle = await c.run(image, releaseInput('1.7', 8));
    await aStaged.staged;
    await a.stop(); // the files worker too (the stage it ran is reported first)
    const b = await c.startHost('host-b', dir('staging-b'));

    const result = await handle.result();
    expect(result.stagedOn).toBe('host-b');
    expect(result.restaged).toEqual([{ host: 'host-a', reason: 'lost', detail: `its queue ${a.queue} was not polled for 8 s` }]);
    expect(a.stages).toEqual(['staged']);
    expect(b.stages).toEqual(['staged']);
    await published(downloads, result);
    // A went away holding its copy; B removed its own once the image was published.
    expect((await stat(join(stagingFolder(a.stagingDir, `${handle.workflowId}/x86_64`), FILE))).size).toBe(image.size);
    expect(await readdir(b.stagingDir)).toEqual([]);
    expect((await handle.query(progressQuery)).arches[0]?.stage).toBe('published');
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [`${name}@${e.activityTaskScheduledEventAttributes?.taskQueue?.name}`] : [];
    });
    // stage (A), convert on A's queue (never started), cleanup request to A, stage (B), convert on B, ...
    expect(scheduled.slice(0, 5)).toEqual([
      `stageImage@${c.filesQueue}`,
      `prepareArtifacts@${a.queue}`,
      `removeStaged@${a.queue}`,
      `stageImage@${c.filesQueue}`,
      `prepareArtifacts@${b.queue}`,
    ]);
    // The new staging did not wait for the cleanup request to the lost host to time out.
    const cleanupAt = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'removeStaged');
    const cleanupId = String(events[cleanupAt]?.eventId);
    const cleanupTimedOut = events.findIndex((e) => String(e.activityTaskTimedOutEventAttributes?.scheduledEventId) === cleanupId);
    const restagedAt = events.findIndex((e, i) => i > cleanupAt && e.activityTaskScheduledEventAttributes?.activityType?.name === 'stageImage');
    expect(restagedAt).toBeGreaterThan(cleanupAt);
    if (cleanupTimedOut >= 0) expect(restagedAt).toBeLessThan(cleanupTimedOut);
    const timeouts = events.flatMap((e) => (e.activityTaskTimedOutEventAttributes ? [e.activityTaskTimedOutEventAttributes.failure?.timeoutFailureInfo?.timeoutType] : []));
    expect(timeouts[0]).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
    await c.close();
    cluster = undefined;
  });

  it('staging disk full during the conversion: final on that host, its files removed, converted and published on another', async (ctx) => {
    const small = await smallDisk('staging-full-a');
    if (!small) return noTmpfs(ctx);
    const downloads = dir('dl-full');
    const c = (cluster = await startCluster({ topUrl: sim.topUrl, downloadsRoot: downloads }));
    const aStaged = stagedOnce();
    const a = await c.startHost('host-a', small, { onStaged: aStaged.hook });
    const handle = await c.run(image, releaseInput('1.7', 60));
    await aStaged.staged;
    const b = await c.startHost('host-b', dir('staging-full-b'));

    const result = await handle.result();
    expect(result.stagedOn).toBe('host-b');
    expect(result.restaged).toHaveLength(1);
    expect(result.restaged?.[0]).toMatchObject({ host: 'host-a', reason: 'disk full' });
    expect(result.restaged?.[0]?.detail).toMatch(/^DiskFullError: No space left/);
    // A staged once; any later attempt that reached it was handed back, never staged there.
    expect(a.stages[0]).toBe('staged');
    expect(a.stages.slice(1).every((s) => s === 'StagingHostAvoided')).toBe(true);
    expect(b.stages).toEqual(['staged']);
    await published(downloads, result);
    // Nothing of the image is left on either host: A's partial files and fetched image are gone.
    expect(await readdir(small)).toEqual([]);
    expect(await readdir(b.stagingDir)).toEqual([]);
    // Converted once on A (failed, not retried there), once on B.
    const events = (await handle.fetchHistory()).events ?? [];
    const converts = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareArtifacts');
    expect(converts.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)).toEqual([a.queue, b.queue]);
    const failed = events.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('DiskFullError');
    // Temporal records the started event of an activity's last attempt just before its end.
    expect(events[events.indexOf(failed as (typeof events)[number]) - 1]?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    await c.close();
    cluster = undefined;
  }, 300_000); // a refused task reaches the other host by Temporal's matching (a few retries), not on our clock

  it('every host full: the arch fails with NoStagingHost, naming each host and the disk problem', async (ctx) => {
    const disks = [await smallDisk('staging-all-1'), await smallDisk('staging-all-2'), await smallDisk('staging-all-3')];
    if (disks.some((d) => d === undefined)) return noTmpfs(ctx);
    const c = (cluster = await startCluster({ topUrl: sim.topUrl, downloadsRoot: dir('dl-all') }));
    // Each host joins once the one before it has staged the image, so each stages it in turn.
    const hosts: TestHost[] = [];
    const joinNext = async (): Promise<void> => {
      const i = hosts.length;
      if (i >= disks.length) return;
      hosts.push(await c.startHost(`full-${i + 1}`, disks[i] as string, { onStaged: () => void joinNext() }));
    };
    await joinNext();
    const handle = await c.run(image, releaseInput('1.7', 60));

    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'NoStagingHost' });
    expect(hosts).toHaveLength(3);
    expect(failure?.message).toContain('tried full-1: disk full (DiskFullError: No space left');
    for (const h of hosts) expect(failure?.message).toContain(`${h.id}: disk full (DiskFullError: No space left`);
    expect(failure?.message).toContain('Free space in staging.dir');
    // Each host staged it exactly once; none kept anything of it.
    for (const h of hosts) {
      expect(h.stages.filter((s) => s === 'staged')).toHaveLength(1);
      expect(await readdir(h.stagingDir)).toEqual([]);
    }
    await c.close();
    cluster = undefined;
  }, 300_000);
});
