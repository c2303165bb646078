// What must hold after a chaos run, each read from the real service, never from the workflows'
// own results: Koji's tasks, moto's AMIs and snapshots, Glance's images, the files on disk, the
// messages the broker took, the catalogue's entries, the staging folder, Temporal's verdicts.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Client } from '@temporalio/client';
import { messageIdFor, routingKeyFor } from '../../clients/bus';
import { IMAGE_BUILD_TASK_METHODS } from '../../clients/koji/submissions';
import type { Config } from '../../config';
import { readSecret } from '../../config/secrets';
import { composeId, imageStem, type BuildName } from '../../domain/build-names';
import { amiName } from '../../domain/ec2';
import { awsPublishedV1, buildFinishedV1, filesPublishedV1, glancePublishedV1, imageCompleteV1, messageRelease } from '../../domain/messages';
import type { MessageType } from '../../domain/messages/message-type';
import type { AuditedMessage } from './audit-queue';
import { openstackClientsFromConfig } from '../../workers/clients-from-config';

export interface ChaosRelease {
  workflowId: string;
  family: string;
  release: string;
  name: BuildName;
  subvariant: string;
  arches: string[];
}

export interface Invariant {
  name: string;
  ok: boolean;
  /** Counts: what was found against what was expected. */
  counts: string;
  /** On failure: what exactly is wrong. */
  problems: string[];
}

export interface InvariantInputs {
  config: Config;
  releases: ChaosRelease[];
  temporal: Client;
  messages: AuditedMessage[];
  /** RegisterImage calls AWS accepted, as the AWS fault proxy saw them go by. */
  registrations: Registration[];
}

export interface Registration {
  region: string;
  name: string;
  snapshotIds: string[];
}

export async function checkInvariants(inp: InvariantInputs): Promise<Invariant[]> {
  const glanceImages = await glanceImagesById(inp);
  return [
    await workflowsCompleted(inp),
    await oneKojiTaskPerRelease(inp),
    await oneAmiPerRegionPerArch(inp),
    await noOrphanSnapshots(inp),
    await glanceOnePerArch(inp, glanceImages),
    await downloadsVerified(inp),
    messagesDelivered(inp, glanceImages, await kojiTaskIds(inp)),
    await catalogueComplete(inp),
    stagingEmpty(inp),
  ];
}

function invariant(name: string, found: number, expected: number, problems: string[], unit = ''): Invariant {
  return { name, ok: problems.length === 0 && found === expected, counts: `${found}/${expected}${unit}`, problems };
}

/** Every image a release run makes: one per release and arch. */
function releaseArches(releases: ChaosRelease[]): Array<{ r: ChaosRelease; arch: string }> {
  return releases.flatMap((r) => r.arches.map((arch) => ({ r, arch })));
}

/** Asks `check` about each item, in turn: its answer is what is wrong with the item, or undefined when it is good. */
async function tally<T>(items: T[], check: (item: T) => Promise<string | undefined> | string | undefined): Promise<{ good: number; expected: number; problems: string[] }> {
  const problems: string[] = [];
  let good = 0;
  for (const item of items) {
    const problem = await check(item);
    if (problem === undefined) good += 1;
    else problems.push(problem);
  }
  return { good, expected: items.length, problems };
}

async function workflowsCompleted({ releases, temporal }: InvariantInputs): Promise<Invariant> {
  const { good, expected, problems } = await tally(releases, async (r) => {
    const d = await temporal.workflow.getHandle(r.workflowId).describe();
    return d.status.name === 'COMPLETED' ? undefined : `${r.workflowId}: ${d.status.name}`;
  });
  return invariant('every release workflow Completed', good, expected, problems);
}

interface SimTask {
  id: number;
  method: string;
  parent: number | null;
  stateName: string;
  request: unknown;
}

async function simTasks(config: Config): Promise<SimTask[]> {
  const res = await fetch(new URL('/sim/state', config.koji.hubUrl), { signal: AbortSignal.timeout(10_000) });
  return ((await res.json()) as { tasks: SimTask[] }).tasks;
}

/** Top-level image build tasks whose request names this release's label. Not the hub's own
 *  follow-ups of a non-scratch build (buildNotification, which names the build too). */
function tasksOf(tasks: SimTask[], r: ChaosRelease): SimTask[] {
  return tasks.filter(
    (t) => t.parent === null && (IMAGE_BUILD_TASK_METHODS as readonly string[]).includes(t.method) && JSON.stringify(t.request).includes(`"${r.name.label}"`),
  );
}

async function kojiTaskIds(inp: InvariantInputs): Promise<Map<string, number>> {
  const tasks = await simTasks(inp.config);
  return new Map(inp.releases.flatMap((r) => tasksOf(tasks, r).map((t) => [r.workflowId, t.id] as const)));
}

async function oneKojiTaskPerRelease({ config, releases }: InvariantInputs): Promise<Invariant> {
  const tasks = await simTasks(config);
  const { good, expected, problems } = await tally(releases, (r) => {
    const mine = tasksOf(tasks, r);
    return mine.length === 1 ? undefined : `${r.workflowId}: ${mine.length} Koji tasks (${mine.map((t) => `${t.id} ${t.method} ${t.stateName}`).join(', ') || 'none'})`;
  });
  return invariant('exactly one Koji task per release', good, expected, problems);
}

function ec2(config: Config, region: string): EC2Client {
  return new EC2Client({
    region,
    ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    credentials: { accessKeyId: 'fedimg-local', secretAccessKey: 'fedimg-local' },
  });
}

function amiNameOf(r: ChaosRelease, arch: string): string {
  return amiName({ buildName: `Fedora-${r.family}`, arch, version: r.name.version, release: r.name.label });
}

async function oneAmiPerRegionPerArch({ config, releases }: InvariantInputs): Promise<Invariant> {
  const clients = new Map(config.aws.regions.map((region) => [region, ec2(config, region)]));
  try {
    const wanted = config.aws.regions.flatMap((region) => releaseArches(releases).map((image) => ({ ...image, region })));
    const { good, expected, problems } = await tally(wanted, async ({ r, arch, region }) => {
      const name = amiNameOf(r, arch);
      const { Images = [] } = await clients.get(region)!.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
      if (Images.length !== 1) return `${region} ${name}: ${Images.length} AMIs (${Images.map((i) => i.ImageId).join(', ') || 'none'})`;
      if (Images[0]?.Public !== true) return `${region} ${name}: ${Images[0]?.ImageId} is not public`;
      return undefined;
    });
    return invariant('one public AMI per release, arch and region', good, expected, problems);
  } finally {
    for (const client of clients.values()) client.destroy();
  }
}

/**
 * Every snapshot belongs to an AMI: named in the AMI's block devices, or sent as the root snapshot
 * of a RegisterImage that made an AMI still there. (moto answers DescribeImages with a snapshot of
 * its own making, "Auto-created snapshot for AMI …", instead of the one registered, so the request
 * is where the registered snapshot is seen.)
 */
async function noOrphanSnapshots({ config, registrations }: InvariantInputs): Promise<Invariant> {
  const problems: string[] = [];
  let snapshots = 0;
  for (const region of config.aws.regions) {
    const client = ec2(config, region);
    const { Images = [] } = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
    const names = new Set(Images.map((i) => i.Name));
    const used = new Set([
      ...Images.flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((s): s is string => !!s)),
      ...registrations.filter((r) => r.region === region && names.has(r.name)).flatMap((r) => r.snapshotIds),
    ]);
    const { Snapshots = [] } = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    snapshots += Snapshots.length;
    for (const s of Snapshots) if (!s.SnapshotId || !used.has(s.SnapshotId)) problems.push(`${region} ${s.SnapshotId} (${s.Description ?? 'no description'}, ${s.State}) belongs to no AMI`);
    client.destroy();
  }
  return { name: 'no EBS snapshot without an AMI', ok: problems.length === 0, counts: `${problems.length} orphans of ${snapshots}`, problems };
}

type GlanceList = Awaited<ReturnType<ReturnType<typeof openstackClientsFromConfig>['glance']['findImages']>>;

async function glanceImagesById({ config }: InvariantInputs): Promise<GlanceList> {
  const { glance } = openstackClientsFromConfig(config.openstack, (ref, what) => readSecret(ref, what, {}));
  return glance.findImages({});
}

async function glanceOnePerArch({ releases }: InvariantInputs, images: GlanceList): Promise<Invariant> {
  const { good, expected, problems } = await tally(releaseArches(releases), ({ r, arch }) => {
    const name = imageStem(r.family, r.name, arch);
    const mine = images.filter((i) => i.name === name);
    const active = mine.filter((i) => i.status === 'active');
    return active.length === 1 && mine.length === 1 ? undefined : `${name}: ${mine.map((i) => `${i.id} ${i.status}`).join(', ') || 'no image'}`;
  });
  const stuck = images.filter((i) => i.status !== 'active');
  for (const i of stuck) problems.push(`${i.name ?? '(no name)'} ${i.id} left ${i.status}`);
  return { name: 'one active Glance image per arch, none queued', ok: problems.length === 0 && good === expected, counts: `${good}/${expected}, ${stuck.length} not active`, problems };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every file under the download root is listed in its folder's CHECKSUM with its size and sha256, and every release has its files. */
async function downloadsVerified({ config, releases }: InvariantInputs): Promise<Invariant> {
  if (config.downloads.type !== 'directory') throw new Error('the chaos run checks a directory download server');
  const root = config.downloads.root;
  const files = walk(root);
  const problems: string[] = [];
  const listed = new Map<string, { size: number; sha256: string }>();
  for (const f of files.filter((x) => x.endsWith('-CHECKSUM'))) {
    const text = readFileSync(f, 'utf8');
    const sizes = new Map([...text.matchAll(/^# (\S+): (\d+) bytes$/gm)].map((m) => [m[1] as string, Number(m[2])]));
    for (const m of text.matchAll(/^SHA256 \((\S+)\) = ([0-9a-f]{64})$/gm)) {
      listed.set(join(f, '..', m[1] as string), { sha256: m[2] as string, size: sizes.get(m[1] as string) ?? -1 });
    }
  }
  let verified = 0;
  const images = files.filter((f) => !f.endsWith('-CHECKSUM'));
  for (const f of images) {
    const want = listed.get(f);
    const rel = relative(root, f);
    if (!want) {
      problems.push(`${rel}: in no CHECKSUM`);
      continue;
    }
    const size = statSync(f).size;
    const got = await sha256(f);
    if (size !== want.size) problems.push(`${rel}: ${size} bytes, CHECKSUM says ${want.size}`);
    else if (got !== want.sha256) problems.push(`${rel}: sha256 ${got.slice(0, 12)}…, CHECKSUM says ${want.sha256.slice(0, 12)}…`);
    else verified += 1;
  }
  for (const path of listed.keys()) if (!existsSync(path)) problems.push(`${relative(root, path)}: listed in a CHECKSUM, not on the server`);
  let expected = 0;
  for (const r of releases) {
    for (const arch of r.arches) {
      const stem = imageStem(r.family, r.name, arch);
      for (const suffix of ['.qcow2', '.raw.tar.xz', '-CHECKSUM']) {
        expected += suffix === '-CHECKSUM' ? 0 : 1;
        if (!files.some((f) => f.endsWith(`/${stem}${suffix}`))) problems.push(`${stem}${suffix}: missing`);
      }
    }
  }
  return invariant('every downloadable file matches its CHECKSUM', verified, expected, problems, ` files (${images.length} on the server)`);
}

/** The id a message of this type gets, from the body fields its topic and event key use. */
function expectedId(config: Config, type: MessageType, body: Record<string, unknown>): { id: string; what: string } {
  const t = type as unknown as { topic(b: unknown): string; eventKey(b: unknown): string };
  const routingKey = routingKeyFor(config.bus.topicPrefix, t.topic(body));
  return { id: messageIdFor(routingKey, t.eventKey(body)), what: `${routingKey} ${t.eventKey(body)}` };
}

function messagesDelivered({ config, releases, messages }: InvariantInputs, glance: GlanceList, kojiTasks: Map<string, number>): Invariant {
  const expected: Array<{ id: string; what: string }> = [];
  const problems: string[] = [];
  for (const r of releases) {
    const release = messageRelease(r.release, config.bus.rawhideRelease);
    const compose = composeId(r.release, r.name);
    const ident = { family: r.family, release, compose_id: compose, subvariant: r.subvariant };
    const task = kojiTasks.get(r.workflowId);
    if (task === undefined) problems.push(`${r.workflowId}: no Koji task, so no build message id to expect`);
    else expected.push(expectedId(config, buildFinishedV1 as unknown as MessageType, { ...ident, koji_task_id: task }));
    expected.push(expectedId(config, imageCompleteV1 as unknown as MessageType, ident));
    for (const arch of r.arches) {
      expected.push(expectedId(config, filesPublishedV1 as unknown as MessageType, { ...ident, architecture: arch }));
      expected.push(
        expectedId(config, awsPublishedV1 as unknown as MessageType, { ...ident, architecture: arch, image_name: amiNameOf(r, arch) }),
      );
      const image = glance.find((i) => i.name === imageStem(r.family, r.name, arch) && i.status === 'active');
      if (!image) problems.push(`${imageStem(r.family, r.name, arch)}: no active Glance image, so no Glance message id to expect`);
      else expected.push(expectedId(config, glancePublishedV1 as unknown as MessageType, { ...ident, architecture: arch, region: config.openstack.region, image_id: image.id }));
    }
  }
  const got = new Map<string, number>();
  for (const m of messages) got.set(m.id, (got.get(m.id) ?? 0) + 1);
  let delivered = 0;
  for (const e of expected) {
    if (got.has(e.id)) delivered += 1;
    else problems.push(`missing ${e.id} (${e.what})`);
  }
  const wanted = new Set(expected.map((e) => e.id));
  const unexpected = [...got.keys()].filter((id) => !wanted.has(id));
  const copies = messages.length - got.size;
  const total = releases.reduce((n, r) => n + 2 + 3 * r.arches.length, 0);
  return {
    name: 'every expected message delivered (by id)',
    ok: problems.length === 0 && delivered === total,
    counts: `${delivered}/${total} (${copies} redelivered copies, ${unexpected.length} other ids)`,
    problems: [...problems, ...unexpected.map((id) => `unexpected message id ${id}`)],
  };
}

interface CatalogueImage {
  status: string;
  destinations: Array<{ type: string; location: string; state: string }>;
}

/** Each release x arch in the catalogue, complete, with every region, Glance and the files; retried while ingest catches up. */
async function catalogueComplete({ config, releases }: InvariantInputs): Promise<Invariant> {
  let last: Invariant | undefined;
  for (let attempt = 0; attempt < 30; attempt++) {
    const { good, expected, problems } = await tally(releaseArches(releases), ({ r, arch }) => catalogueProblem(config, r, arch));
    last = invariant('the catalogue lists every image, complete', good, expected, problems);
    if (last.ok) return last;
    await new Promise((res) => setTimeout(res, 2000));
  }
  return last as Invariant;
}

async function catalogueProblem(config: Config, r: ChaosRelease, arch: string): Promise<string | undefined> {
  // The catalogue's image id: family:release:arch:<compose id less "Fedora-"> (report/ingest).
  const id = `${r.family}:${r.release}:${arch}:${composeId(r.release, r.name).slice('Fedora-'.length)}`;
  const res = await fetch(`${config.catalogue.publicUrl}/api/v1/images/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) return `${id}: not in the catalogue`;
  if (!res.ok) return `${id}: HTTP ${res.status}`;
  const img = (await res.json()) as CatalogueImage;
  if (img.status !== 'complete') return `${id}: status ${img.status}`;
  const published = (type: string) => img.destinations.filter((d) => d.type === type && d.state === 'published').map((d) => d.location);
  const missingRegions = config.aws.regions.filter((reg) => !published('ec2').includes(reg));
  if (missingRegions.length > 0) return `${id}: no published AMI for ${missingRegions.join(', ')}`;
  if (published('glance').length !== 1) return `${id}: ${published('glance').length} published Glance entries`;
  if (published('download').length < 2) return `${id}: ${published('download').length} published download files`;
  return undefined;
}

function stagingEmpty({ config }: InvariantInputs): Invariant {
  const files = walk(config.staging.dir);
  return {
    name: 'no leftover staging files',
    ok: files.length === 0,
    counts: `${files.length} files`,
    problems: files.map((f) => relative(config.staging.dir, f)),
  };
}
