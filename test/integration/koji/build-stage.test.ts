// The build stage end to end: the real Temporal dev server, a real worker, the Koji client
// against the hub simulator (checked against the recorded real hub), files fetched from the
// simulator's file server into a staging dir and verified.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKojiSim, type KojiSim } from '../../../sim/koji';
import { KojiClient } from '../../../clients/koji';
import { createKojiActivities } from '../../../activities/koji';
import { createFetchActivities } from '../../../activities/fetch';
import { createArtifactActivities } from '../../../activities/artifacts';
import { createDownloadActivities } from '../../../activities/downloads';
import { createDirectoryTarget } from '../../../clients/downloads';
import { createBusActivities } from '../../../activities/bus';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { readSecret } from '../../../config/secrets';
import { releaseInput } from '../../../config/release-input';
import { getConfig } from '../../../config';
import { imageReleaseWorkflow } from '../../../workflows';
import type { BuiltImage, ImageReleaseInput } from '../../../domain/image-release';
import { uniqueQueue, withWorkers } from '../../helpers/temporal';
import { busPublisherOptions } from '../../../workers/clients-from-config';

let sim: KojiSim;
let publisher: BusPublisher;
let heldSim: KojiSim;
const staging = mkdtempSync(join(tmpdir(), 'fedimg-staging-'));
const downloads = mkdtempSync(join(tmpdir(), 'fedimg-downloads-'));

beforeAll(async () => {
  const config = getConfig();
  publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus signing key')));
  const users = [
    { name: 'fedimg', password: 'fedimg-pw', perms: ['image', 'livecd', 'appliance'] },
    { name: 'bob', password: 'bob-pw' },
  ];
  sim = await startKojiSim({ dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-')), users, timing: 'fast', imageSizeBytes: 32 * 1024 * 1024 });
  // Builds here wait for advance(): the test decides when they finish.
  heldSim = await startKojiSim({ dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-held-')), users, autoRun: false, imageSizeBytes: 32 * 1024 * 1024 });
});
afterAll(async () => {
  await publisher?.close();
  await sim?.close();
  await heldSim?.close();
});

function activities(queue: string, { user = 'fedimg', password = 'fedimg-pw', on = sim } = {}) {
  const koji = new KojiClient({ hubUrl: on.hubUrl, auth: { method: 'password', user, password }, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 } });
  return {
    ...createKojiActivities({ koji }),
    ...createFetchActivities({ topUrl: on.topUrl, stagingDir: staging, maxImageBytes: 1024 ** 3, hostTaskQueue: queue, hostId: 'test-host' }),
    ...createArtifactActivities({ stagingDir: staging, maxImageBytes: 1024 ** 3, qemuParallelism: 4, xzThreads: 2 }),
    ...createDownloadActivities({ target: createDirectoryTarget({ root: downloads, layout: '{release}/{family}/{arch}/images/{file}' }) }),
    ...createBusActivities({ publisher }),
  };
}

function input(queue: string, family: string, label: string, patch: Partial<ImageReleaseInput['family']> = {}): ImageReleaseInput {
  const base = releaseInput(getConfig(), { family, release: '44', kind: 'rc', name: { version: '44', label } });
  return {
    ...base,
    // Glance and EC2 have suites of their own; here the build stage and the downloads.
    family: { ...base.family, destinations: ['downloads'], ...patch },
    settings: { ...base.settings, kojiPoll: { initialSeconds: 1, maxSeconds: 2 }, taskQueues: { orchestration: queue, files: queue } },
  };
}

async function run(queue: string, inp: ImageReleaseInput, acts = activities(queue)) {
  return withWorkers([{ taskQueue: queue, activities: acts }], (client) =>
    client.workflow.execute(imageReleaseWorkflow, { taskQueue: queue, workflowId: `test-${queue}`, args: [inp] }),
  );
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause as (Error & { cause?: Error }) | undefined;
  const messages: string[] = [];
  while (cause) {
    messages.push(cause.message);
    cause = cause.cause as (Error & { cause?: Error }) | undefined;
  }
  return messages.join(' <- ');
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('Koji build stage', () => {
  it('runs a kiwi build from submission to verified files on disk', async () => {
    const q = uniqueQueue('koji-kiwi');
    const before = sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' });
    const result = await run(q, input(q, 'Cloud-Base-Generic', '1.1'));
    expect(result.status).toBe('completed');
    expect(result.arches.map((a) => a.arch).sort()).toEqual(['aarch64', 'x86_64']);
    expect(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' })).toBe(before + 1);
    for (const a of result.arches) {
      // The staged bytes are the bytes Koji serves for this task, checked against kiwi's checksum.
      const child = sim.state().tasks.find((t) => t.parent === result.kojiTaskId && t.label === a.arch);
      expect(child).toBeDefined();
      const served = join(sim.taskDir(child!.id), a.source.file);
      expect(a.source.sha256).toBe(sha256(served));
      expect(a.source.file).toMatch(new RegExp(`\\.${a.arch}\\.(qcow2|raw\\.xz)$`));

      // The download destination holds qcow2, raw.tar.xz and the CHECKSUM file, all verifiable.
      const dir = join(downloads, '44', 'Cloud-Base-Generic', a.arch, 'images');
      const names = readdirSync(dir).sort();
      expect(names).toEqual(
        expect.arrayContaining([`Fedora-Cloud-Base-Generic-44-1.1.${a.arch}.qcow2`, `Fedora-Cloud-Base-Generic-44-1.1.${a.arch}.raw.tar.xz`]),
      );
      const checksum = names.find((n) => n.endsWith('CHECKSUM'));
      expect(checksum).toBeDefined();
      expect(execFileSync('sha256sum', ['-c', checksum!], { cwd: dir, encoding: 'utf8' })).toMatch(/qcow2: OK[\s\S]*raw\.tar\.xz: OK/);
      execFileSync('qemu-img', ['check', join(dir, `Fedora-Cloud-Base-Generic-44-1.1.${a.arch}.qcow2`)]);
      expect(a.destinations.downloads).toMatchObject({ ok: true });
    }
    // Staged files are removed once the image is published.
    expect(readdirSync(staging).filter((d) => d.includes(q))).toEqual([]);
  });

  it('runs an Oz build (buildImageOz) the same way', async () => {
    const q = uniqueQueue('koji-oz');
    const result = await run(q, input(q, 'Cloud-Base-Oz', '20261122.0'));
    expect(result.status).toBe('completed');
    expect(result.arches).toHaveLength(1);
    expect(result.arches[0]?.source.file).toMatch(/\.x86_64\.(raw\.xz|qcow2)$/);
  });

  it('ends with exactly one Koji task when 30% of hub calls fail with ServerOffline or a reset', async () => {
    const q = uniqueQueue('koji-faults');
    const before = sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' });
    sim.faults.set({
      seed: 7,
      serverOffline: { probability: 0.15 },
      reset: { probability: 0.15, target: 'hub' },
      // The submission's answer is lost once after the hub created the task: it must be adopted.
      httpError: { next: 1, status: 502, after: true, methods: ['kiwiBuild'] },
    });
    try {
      const result = await run(q, input(q, 'Cloud-Base-Generic', '1.2'));
      expect(result.status).toBe('completed');
    } finally {
      sim.faults.clear();
    }
    expect(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' })).toBe(before + 1);
  });

  it('completes a non-scratch (--no-scratch) release: tagBuild child, files moved to the build, children in any order', async () => {
    const q = uniqueQueue('koji-nonscratch');
    const result = await run(q, { ...input(q, 'Cloud-Base-Generic', '1.8'), scratch: false });
    expect(result.status).toBe('completed');
    expect(result.arches.map((a) => a.arch).sort()).toEqual(['aarch64', 'x86_64']);
    const kids = sim.state().tasks.filter((t) => t.parent === result.kojiTaskId);
    expect(kids.map((k) => k.method).sort()).toEqual(['createKiwiImage', 'createKiwiImage', 'tagBuild']);
    const build = sim.builds.byNvr('Fedora-Cloud-Base-Generic', '44', '1.8');
    expect(build).toMatchObject({ state: 1, taskId: result.kojiTaskId });
    for (const a of result.arches) {
      // Fetched through the task URL (a symlink into packages/…/images/ now), verified by kiwi's sum.
      expect(a.source.sha256).toBe(sha256(join(sim.files.root, 'packages/Fedora-Cloud-Base-Generic/44/1.8/images', a.source.file)));
      expect(a.destinations.downloads).toMatchObject({ ok: true });
    }
    // The build stage names the Koji build of each image.
    const env = new MockActivityEnvironment();
    const images: BuiltImage[] = await env.run(activities(q).getKojiBuildResult, { taskId: result.kojiTaskId!, family: input(q, 'Cloud-Base-Generic', '1.8').family });
    expect(images.map((i) => [i.arch, i.kojiBuild])).toEqual([
      ['x86_64', { id: build!.id, nvr: 'Fedora-Cloud-Base-Generic-44-1.8' }],
      ['aarch64', { id: build!.id, nvr: 'Fedora-Cloud-Base-Generic-44-1.8' }],
    ]);
  });

  it('fails fast with Koji’s message when the user lacks the image permission', async () => {
    const q = uniqueQueue('koji-perm');
    const msg = await failureOf(run(q, input(q, 'Cloud-Base-Generic', '1.3'), activities(q, { user: 'bob', password: 'bob-pw' })));
    expect(msg).toMatch(/image permission required \(logged in as bob\)/);
    expect(sim.submissions({ owner: 'bob' })).toBe(0);
  });

  it('fails fast naming an unknown build target', async () => {
    const q = uniqueQueue('koji-target');
    const msg = await failureOf(run(q, input(q, 'Cloud-Base-Generic', '1.4', { target: 'no-such-target' })));
    expect(msg).toMatch(/No such build target: no-such-target/);
  });

  it('fails the release with Koji’s own fault text when the build fails', async () => {
    const q = uniqueQueue('koji-buildfail');
    sim.faults.set({ buildFailure: { next: 1, arch: 'aarch64' } });
    try {
      const msg = await failureOf(run(q, input(q, 'Cloud-Base-Generic', '1.5')));
      expect(msg).toMatch(/Koji task \d+ failed: .*Kiwi failed.*aarch64/);
    } finally {
      sim.faults.clear();
    }
  });

  it('resumes a download cut off mid-file with Range requests and still verifies it', async () => {
    const q = uniqueQueue('koji-cut');
    // The simulator's image here is about 3 MiB: cut it twice, well before its end.
    const cut = 512 * 1024;
    const slack = 256 * 1024;
    const seenBefore = sim.fileRequests.length;
    sim.faults.set({ reset: { next: 2, target: 'files', afterBytes: cut, pathIncludes: '.x86_64.' } });
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(q, input(q, 'Cloud-Base-Generic', '1.6'));
      expect(result.status).toBe('completed');
    } finally {
      sim.faults.clear();
    }
    // What the file server saw for the x86_64 image: the first GET cut after 512 KiB, the second
    // too, each time resumed with `Range: bytes=N-` where the last left off, never from 0 again.
    const x86 = result.arches.find((a) => a.arch === 'x86_64')!;
    const child = sim.state().tasks.find((t) => t.parent === result.kojiTaskId && t.label === 'x86_64')!;
    const size = statSync(join(sim.taskDir(child.id), x86.source.file)).size;
    expect(size, 'the image must be larger than the two cuts for this test to mean anything').toBeGreaterThan(3 * cut);
    const gets = sim.fileRequests.slice(seenBefore).filter((r) => r.method === 'GET' && r.path.endsWith(`/${x86.source.file}`));
    const starts = gets.map((r) => (r.range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(r.range)?.[1] ?? NaN)));
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(starts[0]).toBe(0);
    expect(gets.slice(0, 2).map((r) => r.bytesSent)).toEqual([cut, cut]);
    for (let i = 1; i < gets.length; i++) {
      expect(gets[i]!.range, `request ${i + 1}: a resume`).toMatch(/^bytes=\d+-$/);
      // Resumed where the bytes sent before ended (less any tail the cut lost), not from the start.
      expect(starts[i]!).toBeGreaterThan(starts[i - 1]! + gets[i - 1]!.bytesSent - slack);
      expect(starts[i]!).toBeLessThanOrEqual(starts[i - 1]! + gets[i - 1]!.bytesSent);
    }
    // About one file's worth fetched in all, not the file again after each cut.
    const total = gets.reduce((n, r) => n + r.bytesSent, 0);
    expect(total).toBeGreaterThanOrEqual(size);
    expect(total).toBeLessThan(size + 2 * slack);
    expect(gets.at(-1)!.status).toBe(206);
  });

  it('refuses a tampered image: nothing downstream runs', async () => {
    const q = uniqueQueue('koji-tamper');
    const acts = activities(q, { on: heldSim });
    const failure = withWorkers([{ taskQueue: q, activities: acts }], async (client) => {
      const handle = await client.workflow.start(imageReleaseWorkflow, {
        taskQueue: q,
        workflowId: `test-${q}`,
        args: [input(q, 'Cloud-Base-Generic', '1.7', { arches: ['x86_64'] })],
      });
      const parent = await waitFor(() => heldSim.state().tasks.find((t) => t.parent === null && t.method === 'kiwiBuild' && t.stateName === 'FREE')?.id);
      await heldSim.advance(parent, 'done');
      const child = heldSim.state().tasks.find((t) => t.parent === parent)!;
      const file = readdirImage(heldSim.taskDir(child.id));
      // Flip bytes in the middle of the built image after kiwi wrote its checksum.
      const path = join(heldSim.taskDir(child.id), file);
      const bytes = readFileSync(path);
      const mid = Math.floor(bytes.length / 2);
      bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
      return failureOf(handle.result());
    });
    expect(await failure).toMatch(/sha256 [0-9a-f]{64} does not match the checksum Koji published/);
  });
});

function readdirImage(dir: string): string {
  const f = readdirSync(dir).find((n) => /\.(raw\.xz|qcow2)$/.test(n));
  if (!f) throw new Error(`no image in ${dir}`);
  return f;
}

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
