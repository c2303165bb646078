// The real release workflow, started and cancelled with the operator's own commands (`fedimg
// build`, `fedimg cancel`), against a Koji hub simulator whose builds wait for the test: what
// Koji was asked to build (a respin's --repo and --scm), and what cancelling does on both sides.
//   - `fedimg cancel` cancels the release and, with it, its Koji task (koji-build-stage.ts);
//   - a task cancelled in Koji (by someone there) ends the release as `canceled-in-koji`.
// Koji's side is read through the Koji client (getTaskInfo), as `koji taskinfo` would show it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig, type Config } from '../../../config';
import { KojiClient, TaskState } from '../../../clients/koji';
import { KojiTaskId } from '../../../domain/search-attributes';
import type { ImageReleaseResult } from '../../../workflows/image-release';
import { bodyOf, startBusTap, type BusTap } from '../../helpers/bus-tap';
import { startFastKoji, type FastKoji } from '../../helpers/fast-koji';
import { releaseConfig } from '../../helpers/release-config';
import { startReleaseWorker, type RunningReleaseWorker } from '../../helpers/release-worker';
import { cli } from '../cli/helpers';
import { waitFor } from '../../helpers/wait-for';

const tag = randomUUID().slice(0, 8);
const KIWI = `Held-Generic-${tag}`;
const OZ = `Held-Oz-${tag}`;
// Pinned to a commit, as `fedimg build` requires; not the family's own (the config's) commit.
const KIWI_SCM = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#0123456789abcdef0123456789abcdef01234567';
const KS_SCM = 'git+https://pagure.io/fedora-kickstarts.git?#89abcdef0123456789abcdef0123456789abcdef';
const REPOS = ['https://kojipkgs.fedoraproject.org/repos/f44-build/latest/x86_64/', 'https://example.org/fedimg-test/extra/44/x86_64/'];

const dir = mkdtempSync(join(tmpdir(), 'fedimg-koji-cancel-'));
let koji: FastKoji;
let config: Config;
let worker: RunningReleaseWorker;
let tap: BusTap;

beforeAll(async () => {
  // Builds stay FREE until advanced: every release here is still waiting on Koji when the test acts.
  koji = await startFastKoji(join(dir, 'koji-sim'), { autoRun: false, imageSizeBytes: 8 * 1024 * 1024 });
  const rc = releaseConfig({
    dir,
    tag,
    queuePrefix: 'koji-cancel',
    koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
    family: { name: KIWI, arches: ['x86_64', 'aarch64'], outputs: ['qcow2'], destinations: ['downloads'] },
  });
  // An Oz family too (the shipped one, renamed): its repos and kickstart travel in other fields.
  const oz = getConfig().families.find((f) => f.koji.kind === 'oz');
  if (!oz) throw new Error('the shipped config has no Oz family to copy');
  config = structuredClone(rc.config);
  config.families.push({ ...structuredClone(oz), name: OZ, schedules: [] });
  tap = await startBusTap(config.bus, `${config.bus.topicPrefix}.#`);
  worker = await startReleaseWorker(config, `koji-cancel-${tag}`);
});

afterAll(async () => {
  for await (const w of worker?.client.workflow.list({ query: `TaskQueue = "${config.temporal.taskQueues.orchestration}" AND ExecutionStatus = "Running"` }) ?? []) {
    await worker.client.workflow.getHandle(w.workflowId).terminate('test cleanup').catch(() => undefined);
  }
  await worker?.stop();
  await tap?.stop();
  await koji?.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fedimg(args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  const r = await cli(config, [...args, '--json'], { watchIntervalMs: 500, user: 'koji-cancel-test' });
  return { code: r.code, json: (r.json ?? {}) as Record<string, unknown>, err: r.err };
}

async function build(args: string[]): Promise<string> {
  const started = await fedimg(['build', ...args]);
  expect(started.err).toBe('');
  expect(started.code).toBe(0);
  return String(started.json.workflowId);
}

/** The release's Koji task, once the release has it and waits on it (KojiTaskId is set then). */
function kojiTaskOf(workflowId: string): Promise<number> {
  const handle = worker.client.workflow.getHandle(workflowId);
  return waitFor(`${workflowId} to submit its Koji task`, async () => (await handle.describe()).typedSearchAttributes.get(KojiTaskId));
}

function kojiClient(): KojiClient {
  return new KojiClient({ hubUrl: koji.sim.hubUrl, auth: { method: 'password', user: koji.user, password: koji.password } });
}

async function failureOf(p: Promise<unknown>): Promise<WorkflowFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err as WorkflowFailedError;
}

describe('what Koji is asked to build, and cancelling', () => {
  it("a kiwi respin's --repo and --scm reach Koji's kiwiBuild request; `fedimg cancel` then cancels the Koji task", async () => {
    const workflowId = await build([
      ...['--family', KIWI, '--release', '44', '--kind', 'respin', '--label', '20261122.0', '--arch', 'x86_64'],
      ...['--repo', REPOS[0]!, '--repo', REPOS[1]!, '--scm', KIWI_SCM],
    ]);
    const taskId = await kojiTaskOf(workflowId);
    const k = kojiClient();
    const task = await k.getTaskInfo(taskId, { request: true });
    expect(task).toMatchObject({ method: 'kiwiBuild', state: TaskState.FREE, parent: null });
    // kiwiBuild(target, arches, desc_url, desc_path, opts) as the hub stored it.
    const [target, arches, descUrl, descPath, opts] = task!.request ?? [];
    expect(target).toBe(config.families[0]!.target ?? config.koji.defaultTarget);
    expect(arches).toEqual(['x86_64']);
    expect(descUrl).toBe(KIWI_SCM);
    expect(descPath).toBe('Fedora.kiwi');
    expect(opts).toMatchObject({ repos: REPOS, release: '20261122.0', version: '44' });

    const canceled = await fedimg(['cancel', workflowId]);
    expect(canceled.json).toMatchObject({ workflowId, canceled: true });
    const handle = worker.client.workflow.getHandle(workflowId);
    expect((await failureOf(handle.result())).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // The workflow closes only after Koji confirmed: the task is CANCELED now, not building on.
    expect((await k.getTaskInfo(taskId))?.state).toBe(TaskState.CANCELED);
  });

  it("an Oz rc's --repo and --scm reach Koji's image request (opts.repo, opts.ksurl)", async () => {
    const workflowId = await build(['--family', OZ, '--release', '44', '--kind', 'rc', '--label', '1.4', '--repo', REPOS[0]!, '--repo', REPOS[1]!, '--scm', KS_SCM]);
    const taskId = await kojiTaskOf(workflowId);
    const k = kojiClient();
    const task = await k.getTaskInfo(taskId, { request: true });
    expect(task).toMatchObject({ method: 'image', state: TaskState.FREE });
    // buildImageOz(name, version, arches, target, inst_tree, opts) as the hub stored it.
    const [name, version, , , , opts] = task!.request ?? [];
    expect([name, version]).toEqual([`Fedora-${OZ}`, '44']);
    expect(opts).toMatchObject({ repo: REPOS, ksurl: KS_SCM, release: '1.4' });

    await fedimg(['cancel', workflowId]);
    await failureOf(worker.client.workflow.getHandle(workflowId).result());
    expect((await k.getTaskInfo(taskId))?.state).toBe(TaskState.CANCELED);
  });

  it('a task cancelled in Koji ends the release as canceled-in-koji, announced with Koji’s state', async () => {
    const workflowId = await build(['--family', KIWI, '--release', '44', '--kind', 'rc', '--label', '1.5']);
    const taskId = await kojiTaskOf(workflowId);
    // Someone cancels the build in Koji (the owner may: `koji cancel <task>`).
    await kojiClient().cancelTask(taskId);
    const handle = worker.client.workflow.getHandle(workflowId);
    const result = (await handle.result()) as ImageReleaseResult;
    expect(result).toEqual({ workflowId, status: 'canceled-in-koji', kojiTaskId: taskId, arches: [] });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    // Nothing was fetched or published; the bus heard that the build ended CANCELED.
    const finished = await waitFor('the build.finished message', () => {
      const ours = tap.select((b, key) => key.includes('.fedimg.build.finished.') && b.koji_task_id === taskId).map(bodyOf);
      return ours.length > 0 ? ours : undefined;
    });
    expect(finished).toEqual([expect.objectContaining({ family: KIWI, koji_state: 'CANCELED', files: [] })]);
  });
});
