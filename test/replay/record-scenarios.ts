// Records, from the local stack, the histories test/replay needs beyond what a plain release
// gives: each scenario runs a workflow path that has no other recorded history to completion,
// on task queues of its own with its own workers (the stack's worker never sees these runs),
// and writes its history (and its children's) to test/fixtures/histories/<type>--<scenario>.json.
//   npm run replay:record-scenarios                     every scenario
//   npm run replay:record-scenarios -- ec2-retention    only the ones named
// Scenarios: scheduled-ec2-release (scheduledReleaseWorkflow, a second trigger of its slot, the
// nightly it starts with EC2 publishing and its publishAmi / copyAmiToRegion children),
// input-refused (release-input-check-v1), restage-lost-host (arch-lost-host-cleanup-in-
// background-v1), restage-disk-full (arch-restage-on-disk-full-v1; needs root for a tmpfs),
// ec2-retention, glance-retention (dry run and real run each).
// Messages go to the bus under a topic prefix of their own, so the stack's catalogue does not
// list these throwaway images. Run it again (and commit the new files beside the old ones)
// when a workflow's shape changes on purpose behind `patched`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand, ModifyImageAttributeCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Config } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import { checkReleaseRequest } from '../../config/release-input';
import { createBusActivities } from '../../activities/bus';
import { createEc2Activities } from '../../activities/ec2';
import { createGlanceRetentionActivities } from '../../activities/glance-retention';
import { createAwsClients } from '../../clients/aws/clients';
import { createBusPublisher } from '../../clients/bus';
import { fedoraImageProperties, type FedoraArch } from '../../clients/openstack';
import { readSecret } from '../../config/secrets';
import type { ImageReleaseInput } from '../../domain/image-release';
import { ec2Ok, imagesCreatedDaysAgo, startFaultProxy } from '../../sim/fault-proxy';
import { buildActivities } from '../../workers/activities';
import { spawnHostProcess } from '../integration/artifacts/hosts';
import { startFastKoji, type FastKoji } from '../helpers/fast-koji';
import { startPrivateMoto } from '../helpers/private-moto';
import { releaseConfig } from '../helpers/release-config';
import { startReleaseWorker } from '../helpers/release-worker';
import { workflowBundle } from '../helpers/temporal';
import { deleteTagged, glanceClient, makeQcow2 } from '../integration/openstack/helpers';
import { mountTmpfs } from '../unit/images/helpers';
import { HISTORY_DIR } from './histories';
import { busPublisherOptions } from '../../workers/clients-from-config';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* installed already */
}

const TOPIC_PREFIX = 'org.fedoraproject.replayrecord';
/** Above this a fixture is worth a look: the repository should not carry megabyte histories. */
const LARGE_FIXTURE_BYTES = 512 * 1024;
const tag = randomUUID().slice(0, 8);
const root = mkdtempSync(join(tmpdir(), 'fedimg-record-'));
const cleanups: Array<() => Promise<void> | void> = [];

// ---------------------------------------------------------------------------------------------
// Recording

/** Waits for the run to close, then writes its history; with `children`, theirs too (named
 *  `<name>-<last segment of the child's id>`, e.g. publishAmiWorkflow--x-x86_64). */
async function record(client: Client, workflowId: string, name: string, opts: { children?: boolean; runId?: string } = {}): Promise<void> {
  const handle = client.workflow.getHandle(workflowId, opts.runId);
  await handle.result().catch(() => undefined);
  const desc = await handle.describe();
  const history = await handle.fetchHistory();
  // The run's id first: test/replay/histories.ts replays under it (children's ids derive from it).
  const json = `${JSON.stringify({ workflowId, ...(JSON.parse(historyToJSON(history)) as object) }, null, 2)}\n`;
  const file = join(HISTORY_DIR, `${desc.type}--${name}.json`);
  writeFileSync(file, json);
  const size = Buffer.byteLength(json);
  console.log(`recorded ${desc.type} ${workflowId} (${desc.status.name}, ${history.events?.length ?? 0} events, ${Math.round(size / 1024)} KiB) -> ${file}`);
  if (size > LARGE_FIXTURE_BYTES) console.warn(`  ${file} is ${Math.round(size / 1024)} KiB: look for large payloads before committing it`);
  if (!opts.children) return;
  for (const e of history.events ?? []) {
    const childId = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (!childId) continue;
    const seg = (childId.split('/').at(-1) ?? childId).toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
    await record(client, childId, `${name}-${seg}`, { children: true });
  }
}

async function temporalClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const target = temporalTarget(baseConfig());
  const connection = await Connection.connect({ address: target.connection.address });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}

let koji: FastKoji | undefined;
let shared: Config | undefined;
/** This run's settings: its own Koji simulator, queues, directories, family and topic prefix. */
function baseConfig(): Config {
  if (!shared) throw new Error('baseConfig() before setup()');
  return shared;
}

async function setup(): Promise<void> {
  koji = await startFastKoji(join(root, 'koji'), { imageSizeBytes: 32 * 1024 * 1024 });
  cleanups.push(() => koji?.sim.close());
  const probe = releaseConfig({
    dir: dir('probe'),
    tag,
    queuePrefix: 'replay-record',
    koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
    family: { name: `Replay-Generic-${tag}`, arches: ['x86_64'], outputs: ['qcow2', 'raw.tar.xz'], destinations: ['downloads'] },
    topicPrefix: TOPIC_PREFIX,
  });
  shared = probe.config;
}

function configFor(name: string, family: { name: string; destinations: Config['families'][number]['destinations'] }, regions?: string[]) {
  if (!koji) throw new Error('no Koji simulator');
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return releaseConfig({
    dir,
    tag,
    queuePrefix: `replay-record-${name}`,
    koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
    family: { name: family.name, arches: ['x86_64'], outputs: ['qcow2', 'raw.tar.xz'], destinations: family.destinations },
    topicPrefix: TOPIC_PREFIX,
    ...(regions ? { regions } : {}),
  });
}

function releaseInput(config: Config, req: { kind: 'rc' | 'nightly'; label?: string }): ImageReleaseInput {
  const family = config.families[0]?.name ?? '';
  const r = checkReleaseRequest(config, { family, release: '44', kind: req.kind, ...(req.label ? { label: req.label } : {}) }, new Date());
  if (!r.ok) throw new Error(`release request refused: ${r.problems.join('; ')}`);
  return r.release.input;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/** A Schedule's nightly (scheduledReleaseWorkflow) publishing to downloads and two EC2 regions;
 *  then a second trigger of the same slot, which starts nothing. */
async function scheduledEc2Release(): Promise<void> {
  const sourceRegion = baseConfig().aws.sourceRegion;
  const other = baseConfig().aws.regions.find((r) => r !== sourceRegion) ?? 'eu-west-1';
  const { config } = configFor('sched', { name: `Replay-AmazonEC2-${tag}`, destinations: ['downloads', 'ec2'] }, [sourceRegion, other]);
  const worker = await startReleaseWorker(config, `record-${tag}`);
  const { client } = worker;
  const scheduleId = `replay-record-${tag}`;
  try {
    const { name: _name, kind: _kind, ...template } = releaseInput(config, { kind: 'nightly' });
    const schedule = await client.schedule.create({
      scheduleId,
      // Feb 29 at 03:00: never due while this runs; only the triggers below start anything.
      spec: { cronExpressions: ['0 3 29 2 *'] },
      action: { type: 'startWorkflow', workflowType: 'scheduledReleaseWorkflow', workflowId: `sched/${scheduleId}`, taskQueue: config.temporal.taskQueues.orchestration, args: [{ template, kind: 'nightly' }] },
    });
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      await schedule.trigger();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const d = await schedule.describe();
        const ids = d.info.recentActions.map((a) => a.action.workflow.workflowId);
        if (ids.length > i) {
          runs.push(ids[i] as string);
          break;
        }
        if (Date.now() > deadline) throw new Error('the schedule did not start its workflow within 60 s');
        await new Promise((r) => setTimeout(r, 500));
      }
      const started = (await client.workflow.getHandle(runs[i] as string).result()) as { imageWorkflowId: string; started: boolean };
      if (i === 0) {
        if (!started.started) throw new Error('the first trigger started no release');
        // The release must finish before the second trigger, which then finds its id taken.
        await record(client, started.imageWorkflowId, 'scheduled-nightly-ec2-latest-parameter', { children: true });
      } else if (started.started) throw new Error('the second trigger of the slot started another release');
    }
    await record(client, runs[0] as string, 'nightly-started');
    await record(client, runs[1] as string, 'slot-already-started');
  } finally {
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await worker.stop();
  }
}

/** imageReleaseWorkflow started directly with input the CLI would refuse. */
async function inputRefused(): Promise<void> {
  const { config } = configFor('refused', { name: `Replay-Generic-${tag}`, destinations: ['downloads'] });
  const worker = await startReleaseWorker(config, `record-refused-${tag}`);
  try {
    const bad = releaseInput(config, { kind: 'rc', label: '1.7' });
    bad.name = { version: '44', label: '1-7' };
    const workflowId = `image/${bad.family.name}/44/refused-${tag}`;
    await worker.client.workflow.start('imageReleaseWorkflow', { taskQueue: config.temporal.taskQueues.orchestration, workflowId, args: [bad] });
    await record(worker.client, workflowId, 'input-refused');
  } finally {
    await worker.stop();
  }
}

interface Host {
  id: string;
  stop(): Promise<void>;
}

/** A worker "host" process of the re-staging tests (test/integration/artifacts/hosts.ts). */
async function startHost(opts: { id: string; filesQueue: string; stagingDir: string; downloads: string; stopHostQueueOnStage?: boolean; onStaged?: () => void }): Promise<Host> {
  if (!koji) throw new Error('no Koji simulator');
  const { stop } = await spawnHostProcess({
    id: opts.id,
    filesQueue: opts.filesQueue,
    stagingDir: opts.stagingDir,
    topUrl: koji.sim.topUrl,
    downloadsRoot: opts.downloads,
    stopHostQueueOnStage: opts.stopHostQueueOnStage,
    onStage: (outcome) => outcome === 'staged' && opts.onStaged?.(),
    onSpawn: (child) => cleanups.push(async () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM'))),
  });
  cleanups.push(stop);
  return { id: opts.id, stop };
}

/** A release whose only worker "hosts" are processes of their own: the orchestration worker here
 *  (production workflows, Koji and bus activities), the files work on the hosts `arrange` starts. */
async function restagedRelease(name: string, arrange: (start: (id: string, stagingDir: string, o?: { stopHostQueueOnStage?: boolean; onStaged?: () => void }) => Promise<Host>, release: Promise<unknown>) => Promise<void>): Promise<void> {
  const { config } = configFor(name, { name: `Replay-Generic-${tag}`, destinations: ['downloads'] });
  const target = temporalTarget(config);
  const { activities, close } = buildActivities(config, { host: `record-${name}`, hostQueue: `${config.temporal.taskQueues.files}-unused`, temporalAddress: target.connection.address });
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: config.temporal.taskQueues.orchestration, workflowBundle: await workflowBundle(), activities });
  const running = worker.run();
  const { client, close: closeClient } = await temporalClient();
  const hosts: Host[] = [];
  try {
    const input = releaseInput(config, { kind: 'rc', label: '1.7' });
    input.settings.staging = { lostHostAfterSeconds: 8 };
    const workflowId = `image/${input.family.name}/44/${name}-${tag}`;
    const handle: WorkflowHandle = await client.workflow.start('imageReleaseWorkflow', { taskQueue: config.temporal.taskQueues.orchestration, workflowId, args: [input] });
    const downloads = join(root, name, 'downloads');
    await arrange(async (id, stagingDir, o = {}) => {
      const h = await startHost({ id, filesQueue: config.temporal.taskQueues.files, stagingDir, downloads, ...o });
      hosts.push(h);
      return h;
    }, handle.result());
    const result = (await handle.result()) as { arches: Array<{ restaged?: unknown[] }> };
    console.log(`  ${name}: restaged ${JSON.stringify(result.arches[0]?.restaged)}`);
    if (!result.arches[0]?.restaged?.length) throw new Error(`${name}: the release was not staged again`);
    await record(client, workflowId, name);
  } finally {
    for (const h of hosts) await h.stop();
    worker.shutdown();
    await running.catch(() => undefined);
    await close();
    await closeClient();
    await connection.close();
  }
}

function dir(...parts: string[]): string {
  const d = join(root, ...parts);
  mkdirSync(d, { recursive: true });
  return d;
}

function stagedOnce(): { staged: Promise<void>; hook: () => void } {
  let hook: () => void = () => undefined;
  const staged = new Promise<void>((r) => (hook = r));
  return { staged, hook };
}

/** Host A stops polling its own queue right after staging: B stages again (lost host). */
async function restageLostHost(): Promise<void> {
  await restagedRelease('restaged-lost-host', async (start) => {
    const a = stagedOnce();
    const hostA = await start('host-a', dir('lost', 'staging-a'), { stopHostQueueOnStage: true, onStaged: a.hook });
    await a.staged;
    await hostA.stop();
    await start('host-b', dir('lost', 'staging-b'));
  });
}

/** Host A's staging disk (a small tmpfs) fills during the conversion: B stages again. */
async function restageDiskFull(): Promise<void> {
  const small = dir('full', 'staging-a');
  // Room for the fetched .raw.xz (a few MiB), not for the 32 MiB raw made from it.
  const unmount = await mountTmpfs(small, '8m');
  if (!unmount) {
    console.warn('restage-disk-full skipped: cannot mount a tmpfs here (needs root)');
    return;
  }
  cleanups.push(unmount);
  await restagedRelease('restaged-disk-full', async (start) => {
    const a = stagedOnce();
    await start('host-a', small, { onStaged: a.hook });
    await a.staged;
    await start('host-b', dir('full', 'staging-b'));
  });
}

/** ec2RetentionWorkflow against a moto of its own behind the fault proxy (old images, and EC2's
 *  EnableImageDeprecation that moto lacks): a dry run, then a real run that announces. */
async function ec2Retention(): Promise<void> {
  const moto = await startPrivateMoto();
  cleanups.push(() => moto.stop());
  const old = new Set<string>();
  const proxy = await startFaultProxy({
    target: moto.url,
    rules: [{ name: 'stub EnableImageDeprecation', match: { action: 'EnableImageDeprecation' }, fault: ec2Ok('EnableImageDeprecation') }],
    rewrites: [imagesCreatedDaysAgo(45, (id) => old.has(id))],
  });
  cleanups.push(() => proxy.close());
  const direct = createAwsClients({ endpoint: moto.url });
  const clients = createAwsClients({ endpoint: proxy.url });
  cleanups.push(() => {
    direct.destroy();
    clients.destroy();
  });
  const regions = ['us-east-2', 'eu-west-1'];
  const image = async (region: string, name: string, tags: Record<string, string>, isOld: boolean) => {
    const ec2 = direct.ec2(region);
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1 }));
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({ Name: name, Architecture: 'x86_64', RootDeviceName: '/dev/sda1', BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: snap.SnapshotId } }] }),
    );
    const id = ImageId ?? '';
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Add: [{ Group: 'all' }] } }));
    if (isOld) old.add(id);
  };
  const family = 'Cloud-Base-AmazonEC2';
  for (const region of regions) {
    const ident = { 'fedimg:managed': 'true', FedoraFamily: family, FedoraRelease: 'rawhide', Arch: 'x86_64' };
    await image(region, `Fedora-${family}.x86_64-Rawhide-20261001.n.0`, { ...ident, ImageKind: 'nightly', FedoraCompose: 'Fedora-Rawhide-20261001.n.0' }, true);
    await image(region, `Fedora-${family}.x86_64-Rawhide-20261203.n.0`, { ...ident, ImageKind: 'nightly', FedoraCompose: 'Fedora-Rawhide-20261203.n.0' }, false);
    await image(region, `Fedora-${family}.x86_64-44-1.7`, { ...ident, FedoraRelease: '44', ImageKind: 'rc', FedoraCompose: 'Fedora-44-1.7' }, true);
  }
  const config = baseConfig();
  const publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus.signing.privateKey')));
  cleanups.push(() => publisher.close());
  const queue = `replay-record-ec2-retention-${tag}`;
  await withWorker(queue, { ...createEc2Activities({ clients }), ...createBusActivities({ publisher }) }, async (client) => {
    const base = { olderThanDays: 30, regions, retry: { initialIntervalMs: 300 } };
    const dryId = `ec2-retention/replay-record-${tag}-dry`;
    await client.workflow.start('ec2RetentionWorkflow', { taskQueue: queue, workflowId: dryId, args: [{ ...base, dryRun: true }] });
    // "-progress": with the ec2-retention-progress-v1 upserts. ec2RetentionWorkflow--dry-run and
    // --nightlies-removed were recorded before them and stay as the older shape.
    await record(client, dryId, 'dry-run-progress');
    const realId = `ec2-retention/replay-record-${tag}`;
    await client.workflow.start('ec2RetentionWorkflow', {
      taskQueue: queue,
      workflowId: realId,
      args: [{ ...base, dryRun: false, announce: { subvariants: { [family]: 'Cloud_Base_AmazonEC2' }, rawhideRelease: 45 } }],
    });
    await record(client, realId, 'nightlies-removed-progress');
  });
}

/** glanceRetentionWorkflow against the stack's Glance, on images with a tag of this run's own:
 *  a dry run, then a real run that deletes the expired nightly and announces it. */
async function glanceRetention(): Promise<void> {
  const glance = glanceClient();
  const glanceTag = `fedimg-replay-record-${tag}`;
  cleanups.push(() => deleteTagged(glance, glanceTag).catch(() => undefined));
  const qcow2 = await makeQcow2(dir('glance'), 'tiny', 1, 16);
  const family = `Replay-Generic-${tag}`;
  const image = async (label: string, kind: string, release: string) => {
    const arch: FedoraArch = 'x86_64';
    const version = release === 'rawhide' ? 'Rawhide' : release;
    const img = await glance.createImage({
      name: `Fedora-${family}-${version}-${label}.${arch}`,
      visibility: 'private',
      tags: [glanceTag],
      properties: fedoraImageProperties({ family, kind, release, arch, buildId: `Fedora-${version}-${label}`, sha256: qcow2.sha256 }),
    });
    await glance.uploadFile(img.id, qcow2.path);
  };
  await image('20261101.n.0', 'nightly', 'rawhide');
  await image('20261102.n.0', 'nightly', 'rawhide');
  await image('1.7', 'rc', '44');
  const config = baseConfig();
  const publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus.signing.privateKey')));
  cleanups.push(() => publisher.close());
  const queue = `replay-record-glance-retention-${tag}`;
  await withWorker(queue, { ...createGlanceRetentionActivities({ client: glance, tag: glanceTag }), ...createBusActivities({ publisher }) }, async (client) => {
    // Ages as of 40 days from now: every image made above is "old"; the newest nightly stays.
    const base = { families: [{ name: family, subvariant: 'Cloud_Base' }], olderThanDays: 30, keepLatest: 1, asOf: new Date(Date.now() + 40 * 86_400_000).toISOString(), retry: { initialIntervalMs: 300 } };
    const dryId = `glance-retention/replay-record-${tag}-dry`;
    await client.workflow.start('glanceRetentionWorkflow', { taskQueue: queue, workflowId: dryId, args: [{ ...base, dryRun: true }] });
    await record(client, dryId, 'dry-run');
    const realId = `glance-retention/replay-record-${tag}`;
    await client.workflow.start('glanceRetentionWorkflow', { taskQueue: queue, workflowId: realId, args: [{ ...base, dryRun: false, announce: { region: config.openstack.region ?? 'RegionOne', rawhideRelease: 45 } }] });
    await record(client, realId, 'nightlies-deleted');
  });
}

async function withWorker(queue: string, activities: object, fn: (client: Client) => Promise<void>): Promise<void> {
  const target = temporalTarget(baseConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: queue, workflowBundle: await workflowBundle(), activities });
  const running = worker.run();
  const { client, close } = await temporalClient();
  try {
    await fn(client);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await close();
    await connection.close();
  }
}

const SCENARIOS: Record<string, () => Promise<void>> = {
  'scheduled-ec2-release': scheduledEc2Release,
  'input-refused': inputRefused,
  'restage-lost-host': restageLostHost,
  'restage-disk-full': restageDiskFull,
  'ec2-retention': ec2Retention,
  'glance-retention': glanceRetention,
};

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(a in SCENARIOS));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }
  await setup();
  let failed = 0;
  for (const [name, run] of Object.entries(SCENARIOS)) {
    if (asked.length > 0 && !asked.includes(name)) continue;
    console.log(`scenario ${name}`);
    try {
      await run();
    } catch (err) {
      failed++;
      console.error(`scenario ${name} failed:`, err);
    }
  }
  return failed > 0 ? 1 : 0;
}

main()
  .then(async (code) => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    process.exit(code);
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
