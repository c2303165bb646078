// One image release through every stage, on the local stack, checked the way a release engineer
// checks one: the family is built once in Koji (a hub simulator of the test's own, kiwi, whose
// builds take well under a second; the stack's one builds with realistic timing), fetched from
// the trusted URL, converted, and published to a download directory, five EC2 regions (moto
// behind aws-front) and Debian's Glance; every result is announced, signed, on RabbitMQ and a
// catalogue lists it (the catalogue service's own code, fed from the broker under the tests' topic
// prefix: the stack's catalogue, which the demo shows, consumes only the shipped prefix). The release is started with the operator's own command (`fedimg
// build`), and then run a second time under the same build name: nothing new may appear anywhere.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImageAttributeCommand, DescribeImagesCommand, DescribeSnapshotAttributeCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config';
import { readSecret } from '../../config/secrets';
import { createAwsClients } from '../../clients/aws/clients';
import { loadTrustedKeys, verifyMessage, type ReceivedMessage } from '../../clients/bus';
import { KojiClient } from '../../clients/koji';
import { type GlanceClient } from '../../clients/openstack';
import { planBuild } from '../../scripts/cli/build-request';
import { run as cli } from '../../scripts/cli/program';
import { connectTemporal } from '../../scripts/cli/temporal';
import { createCatalogue, type Catalogue } from '../../report/service';
import type { ImageReleaseResult } from '../../workflows/image-release';
import type { ArchResult, DestinationOutcome } from '../../workflows/arch-pipeline';
import type { PublishAmiResult } from '../../workflows/ec2';
import type { GlanceImageState } from '../../activities/glance';
import { bodyOf, deleteQueue, startBusTap, type BusTap } from '../helpers/bus-tap';
import { startFastKoji, type FastKoji } from '../helpers/fast-koji';
import { releaseConfig } from '../helpers/release-config';
import { startReleaseWorker, type RunningReleaseWorker } from '../helpers/release-worker';
import { busTrustedKeys, openstackClientsFromConfig } from '../../workers/clients-from-config';
import { waitFor } from '../helpers/wait-for';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

const tag = randomUUID().slice(0, 8);
const FAMILY = `E2E-Generic-${tag}`;
const LABEL = '1.1';
const ARCHES = ['x86_64', 'aarch64'] as const;
const build = { family: FAMILY, release: '44', kind: 'rc', label: LABEL };
const buildArgs = ['build', '--family', FAMILY, '--release', '44', '--kind', 'rc', '--label', LABEL, '--json'];
const stem = (arch: string) => `Fedora-${FAMILY}-44-${LABEL}.${arch}`;
const amiNameOf = (arch: string) => `Fedora-${FAMILY}.${arch}-44-${LABEL}`;

const dir = mkdtempSync(join(tmpdir(), 'fedimg-e2e-'));
let koji: FastKoji;
let config: Config;
let downloadsDir: string;
let worker: RunningReleaseWorker;
let tap: BusTap;
let glance: GlanceClient;
let aws: ReturnType<typeof createAwsClients>;
let catalogue: Catalogue;
let catalogueUrl: string;
const catalogueQueue = `e2e-catalogue-${tag}`;

/** What the first run left, for the second run to be compared with. */
let first: {
  result: ImageReleaseResult;
  runId: string;
  files: Map<string, { sha256: string; mtimeMs: number; ino: number }>;
  amis: Map<string, string>;
  glanceIds: Map<string, string>;
  messageIds: Set<string>;
  catalogueEvents: Map<string, number>;
};

beforeAll(async () => {
  koji = await startFastKoji(join(dir, 'koji-sim'));
  const rc = releaseConfig({
    dir,
    tag,
    queuePrefix: 'e2e',
    koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
    family: { name: FAMILY, arches: [...ARCHES], outputs: ['qcow2', 'raw.tar.xz'], destinations: ['downloads', 'glance', 'ec2'] },
  });
  config = rc.config;
  downloadsDir = rc.downloadsDir;
  expect(config.aws.regions).toHaveLength(5);
  aws = createAwsClients({ ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) });
  glance = openstackClientsFromConfig(config.openstack, readSecret).glance;
  // Bound before anything is published: every message of the release lands here too.
  tap = await startBusTap(config.bus, `${config.bus.topicPrefix}.#`);
  catalogue = await createCatalogue({
    database: { type: 'sqlite', path: join(dir, 'catalogue.sqlite') },
    publicUrl: 'http://127.0.0.1:18088',
    logger: false,
    ingest: {
      connection: { url: config.bus.url },
      exchange: config.bus.exchange,
      queue: catalogueQueue,
      topicPrefix: config.bus.topicPrefix,
      trustedKeys: loadTrustedKeys(config.bus.trustedKeys),
      glanceRegion: config.openstack.region,
      prefetch: config.catalogue.prefetch,
    },
  });
  await catalogue.ingest?.ready;
  catalogueUrl = await catalogue.listen('127.0.0.1', 0);
  worker = await startReleaseWorker(config, `e2e-${tag}`);
});

afterAll(async () => {
  const id = planBuild(config, build, new Date()).workflowId;
  await worker?.client.workflow
    .getHandle(id)
    .terminate('e2e test cleanup')
    .catch(() => undefined);
  await worker?.stop();
  await tap?.stop();
  await catalogue?.close();
  await deleteQueue(config.bus, catalogueQueue).catch(() => undefined);
  for (const arch of ARCHES) for (const img of (await glance?.findImages({ name: stem(arch) }).catch(() => [])) ?? []) await glance.deleteImage(img.id);
  await koji?.sim.close();
  aws?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function fedimg(args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cli(args, {
    config: () => config,
    connect: connectTemporal,
    io: { out: (s) => void out.push(s), err: (s) => void err.push(s), isTTY: false },
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    watchIntervalMs: 500,
    user: 'e2e-test',
  });
  return { code, json: out.length > 0 ? (JSON.parse(out.join('')) as Record<string, unknown>) : {}, err: err.join('') };
}

/** The release's own messages among everything on the broker. */
function releaseMessages(): ReceivedMessage[] {
  return tap.select((b) => b.family === FAMILY || (typeof b.image_name === 'string' && b.image_name.startsWith(`Fedora-${FAMILY}.`)));
}

const schemaOf = (m: ReceivedMessage) => String(m.headers.fedora_messaging_schema);

function kojiClient(): KojiClient {
  return new KojiClient({ hubUrl: koji.sim.hubUrl, auth: { method: 'password', user: koji.user, password: koji.password } });
}

/** region -> AMI id as the release reported it for one arch (empty when EC2 failed). */
function published(result: ImageReleaseResult, arch: string): Record<string, string> {
  const ec2 = result.arches.find((x) => x.arch === arch)?.destinations.ec2 as DestinationOutcome<PublishAmiResult> | undefined;
  return ec2?.ok ? ec2.value.published : {};
}

/** The Glance image id the release reported for an arch. */
function glanceImageId(a: ArchResult | undefined): string | undefined {
  const glance = a?.destinations.glance as DestinationOutcome<GlanceImageState> | undefined;
  return glance?.ok ? glance.value.imageId : undefined;
}

const digest = (tool: 'sha256sum' | 'sha512sum', path: string) => execFileSync(tool, [path], { encoding: 'utf8' }).split(' ')[0] ?? '';

function archDir(arch: string): string {
  return join(downloadsDir, '44', FAMILY, arch, 'images');
}

function downloadFiles(): Map<string, { sha256: string; mtimeMs: number; ino: number }> {
  const out = new Map<string, { sha256: string; mtimeMs: number; ino: number }>();
  for (const arch of ARCHES) {
    for (const name of readdirSync(archDir(arch))) {
      const path = join(archDir(arch), name);
      const st = statSync(path);
      const sha256 = digest('sha256sum', path);
      out.set(`${arch}/${name}`, { sha256, mtimeMs: st.mtimeMs, ino: st.ino });
    }
  }
  return out;
}

async function amisByRegion(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const arch of ARCHES) {
    for (const region of config.aws.regions) {
      const images = (await aws.ec2(region).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [amiNameOf(arch)] }] }))).Images ?? [];
      expect(images.map((i) => i.ImageId), `${arch} in ${region}: exactly one AMI named ${amiNameOf(arch)}`).toHaveLength(1);
      out.set(`${arch}/${region}`, images[0]?.ImageId ?? '');
    }
  }
  return out;
}

async function activeGlanceImages(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const arch of ARCHES) {
    const images = await glance.findImages({ name: stem(arch) });
    expect(images.map((i) => `${i.id} ${i.status}`), `Glance images named ${stem(arch)}`).toHaveLength(1);
    expect(images[0]?.status).toBe('active');
    out.set(arch, images[0]?.id ?? '');
  }
  return out;
}

interface CatalogueImage {
  id: string;
  arch: string;
  kind: string;
  status: string;
  kojiTaskId: number | null;
  destinations: Array<{ type: string; location: string; ref: string; sha256: string | null; state: string }>;
}

async function catalogueImages(): Promise<CatalogueImage[]> {
  const res = await fetch(`${catalogueUrl}/api/v1/images?family=${encodeURIComponent(FAMILY)}&release=44`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { images: CatalogueImage[] }).images;
}

async function catalogueEventCounts(ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of ids) {
    const res = await fetch(`${catalogueUrl}/api/v1/images/${encodeURIComponent(id)}/history`);
    expect(res.status, id).toBe(200);
    out.set(id, ((await res.json()) as { events: unknown[] }).events.length);
  }
  return out;
}

async function duplicatesCounted(): Promise<number> {
  const text = await (await fetch(`${catalogueUrl}/metrics`)).text();
  const m = /^catalogue_messages_total\{outcome="duplicate"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('an image release, end to end on the local stack', () => {
  it('builds once in Koji and publishes both arches to downloads, five EC2 regions and Glance, announced and catalogued', { timeout: 300_000 }, async () => {
    const started = await fedimg(buildArgs);
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    expect(started.json).toMatchObject({ state: 'started', family: FAMILY, arches: [...ARCHES] });
    const workflowId = String(started.json.workflowId);
    const runId = String(started.json.runId);
    const result = (await worker.client.workflow.getHandle(workflowId, runId).result()) as ImageReleaseResult;
    expect(result).toMatchObject({ status: 'completed', outcome: 'published' });

    // Koji: exactly one image build task, ours, closed, with one child per arch.
    const k = kojiClient();
    const builds = await k.listTasks({ method: 'kiwiBuild' });
    expect(builds.map((t) => t.id)).toEqual([result.kojiTaskId]);
    expect(koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' })).toBe(1);
    const children = await k.getTaskChildren(result.kojiTaskId);
    const childOf = new Map(children.map((c) => [c.label ?? c.arch, c.id]));
    expect([...childOf.keys()].sort()).toEqual([...ARCHES].sort());

    for (const arch of ARCHES) {
      const a = result.arches.find((x) => x.arch === arch);
      expect(a, arch).toBeDefined();
      // Downloads: qcow2, raw.tar.xz and CHECKSUM; the CHECKSUM verifies; the qcow2 is sound and
      // holds the very disk Koji built; the raw.tar.xz unpacks to that same disk.
      const d = archDir(arch);
      const names = readdirSync(d).sort();
      expect(names, arch).toHaveLength(3);
      expect(names).toEqual(expect.arrayContaining([`${stem(arch)}.qcow2`, `${stem(arch)}.raw.tar.xz`]));
      const checksum = names.find((n) => n.endsWith('CHECKSUM'));
      expect(checksum, `${arch} CHECKSUM`).toBeDefined();
      expect(execFileSync('sha256sum', ['-c', checksum!], { cwd: d, encoding: 'utf8' })).toMatch(/qcow2: OK\n[\s\S]*raw\.tar\.xz: OK/);
      execFileSync('qemu-img', ['check', join(d, `${stem(arch)}.qcow2`)]);
      const kojiFile = join(koji.sim.taskDir(childOf.get(arch)!), a!.source.file);
      execFileSync('qemu-img', ['compare', '-q', kojiFile, join(d, `${stem(arch)}.qcow2`)]);
      const unpacked = join(dir, `unpacked-${arch}`);
      execFileSync('mkdir', ['-p', unpacked]);
      execFileSync('tar', ['-xJf', join(d, `${stem(arch)}.raw.tar.xz`), '-C', unpacked]);
      const [raw] = readdirSync(unpacked);
      execFileSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'qcow2', join(unpacked, raw!), join(d, `${stem(arch)}.qcow2`)]);
      rmSync(unpacked, { recursive: true, force: true });

      // EC2: in every region exactly one AMI of the deterministic name, public, tagged, its
      // snapshots public too.
      for (const region of config.aws.regions) {
        const ec2 = aws.ec2(region);
        const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [amiNameOf(arch)] }] }))).Images ?? [];
        expect(images, `${arch} ${region}`).toHaveLength(1);
        const img = images[0]!;
        expect(img.ImageId).toBe(published(result, arch)[region]);
        // (No check of img.Architecture: moto's RegisterImage drops it; unit tests cover what we send.)
        const perms = await ec2.send(new DescribeImageAttributeCommand({ ImageId: img.ImageId, Attribute: 'launchPermission' }));
        expect(perms.LaunchPermissions, `${arch} ${region} launch permission`).toContainEqual(expect.objectContaining({ Group: 'all' }));
        const tags = Object.fromEntries((img.Tags ?? []).map((t) => [t.Key, t.Value]));
        expect(tags, `${arch} ${region} tags`).toMatchObject({
          FedoraRelease: '44',
          Arch: arch,
          ImageKind: 'rc',
          FedoraFamily: FAMILY,
          KojiTaskId: String(childOf.get(arch)),
        });
        const snaps = (img.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
        expect(snaps.length).toBeGreaterThan(0);
        for (const s of snaps) {
          const attr = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: s, Attribute: 'createVolumePermission' }));
          expect(attr.CreateVolumePermissions, `${arch} ${region} ${s} public`).toContainEqual(expect.objectContaining({ Group: 'all' }));
          const [snap] = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [s] }))).Snapshots ?? [];
          expect(Object.fromEntries((snap?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ FedoraRelease: '44', Arch: arch });
        }
      }

      // Glance: one active image with Fedora's properties, holding exactly the published qcow2.
      const [img, ...more] = await glance.findImages({ name: stem(arch) });
      expect(more, `${arch}: one Glance image`).toEqual([]);
      const qcow2 = { sha256: digest('sha256sum', join(d, `${stem(arch)}.qcow2`)), sha512: digest('sha512sum', join(d, `${stem(arch)}.qcow2`)) };
      expect(img).toMatchObject({
        status: 'active',
        disk_format: 'qcow2',
        visibility: 'public',
        os_distro: 'fedora',
        os_version: '44',
        architecture: arch,
        hw_machine_type: arch === 'x86_64' ? 'q35' : 'virt',
        os_hash_algo: 'sha512',
        os_hash_value: qcow2.sha512,
        fedimg_sha256: qcow2.sha256,
        fedimg_family: FAMILY,
      });
    }

    // The bus: the build, per arch the files, Glance and AWS, then the completion; each signed
    // by the configured key and verifiable with the trusted one.
    const trusted = busTrustedKeys(config.bus);
    const msgs = await waitFor('the completion message', () => {
      const m = releaseMessages();
      return m.some((x) => schemaOf(x) === 'fedimg.image.complete.v1') ? m : undefined;
    });
    // A publish retried by Temporal is the same message (same id) delivered again: count ids.
    const bySchema = new Map<string, ReceivedMessage[]>();
    for (const m of new Map(msgs.map((x) => [String(x.messageId), x])).values()) bySchema.set(schemaOf(m), [...(bySchema.get(schemaOf(m)) ?? []), m]);
    expect(Object.fromEntries([...bySchema].map(([s, l]) => [s, l.length]))).toEqual({
      'fedimg.build.finished.v1': 1,
      'fedimg.files.published.v1': 2,
      'fedimg.glance.published.v1': 2,
      'fedora_image_uploader.published.v1.aws': 2,
      'fedimg.image.complete.v1': 1,
    });
    for (const m of msgs) {
      const v = verifyMessage(m, trusted);
      expect(v, `${m.routingKey} signature`).toMatchObject({ ok: true, keyId: config.bus.signing.keyId });
      expect(m.routingKey.startsWith(`${config.bus.topicPrefix}.`)).toBe(true);
    }
    expect(bodyOf(bySchema.get('fedimg.build.finished.v1')![0]!)).toMatchObject({ koji_task_id: result.kojiTaskId, koji_state: 'CLOSED' });
    for (const m of bySchema.get('fedora_image_uploader.published.v1.aws')!) {
      const b = bodyOf(m) as { architecture: string; image_name: string; regions: Record<string, string> };
      expect(b.image_name).toBe(amiNameOf(b.architecture));
      expect(b.regions).toEqual(published(result, b.architecture));
    }
    for (const m of bySchema.get('fedimg.files.published.v1')!) {
      const b = bodyOf(m) as { architecture: string; files: Array<{ name: string; sha256: string }> };
      expect(b.files.map((f) => f.name).sort()).toEqual([`${stem(b.architecture)}.qcow2`, `${stem(b.architecture)}.raw.tar.xz`]);
      for (const f of b.files) expect(f.sha256, f.name).toBe(digest('sha256sum', join(archDir(b.architecture), f.name)));
    }
    for (const m of bySchema.get('fedimg.glance.published.v1')!) {
      const b = bodyOf(m) as { architecture: string; image_id: string };
      const a = result.arches.find((x) => x.arch === b.architecture);
      expect(b.image_id).toBe(glanceImageId(a) ?? 'a Glance image');
    }
    const complete = bodyOf(bySchema.get('fedimg.image.complete.v1')![0]!) as { outcome: string; destinations: Array<{ status: string }> };
    expect(complete.outcome).toBe('published');
    expect(complete.destinations.map((x) => x.status)).toEqual(Array(6).fill('published'));

    // The catalogue (fed from its own queue) lists both arches with every destination.
    const listed = await waitFor(
      'the catalogue to list both arches as complete',
      async () => {
        const imgs = await catalogueImages();
        return imgs.length === 2 && imgs.every((i) => i.status === 'complete' && i.destinations.filter((x) => x.type === 'ec2').length === 5) ? imgs : undefined;
      },
      90_000,
    );
    for (const img of listed) {
      const a = result.arches.find((x) => x.arch === img.arch)!;
      expect(img).toMatchObject({ kind: 'rc', kojiTaskId: result.kojiTaskId });
      const ec2 = Object.fromEntries(img.destinations.filter((x) => x.type === 'ec2').map((x) => [x.location, x.ref]));
      expect(ec2).toEqual(published(result, img.arch));
      expect(img.destinations.filter((x) => x.type === 'glance').map((x) => x.ref)).toEqual([glanceImageId(a) ?? '']);
      expect(img.destinations.filter((x) => x.type === 'download').map((x) => x.location)).toEqual(
        expect.arrayContaining([`${stem(img.arch)}.qcow2`, `${stem(img.arch)}.raw.tar.xz`]),
      );
    }

    first = {
      result,
      runId,
      files: downloadFiles(),
      amis: await amisByRegion(),
      glanceIds: await activeGlanceImages(),
      messageIds: new Set(msgs.map((m) => String(m.messageId))),
      catalogueEvents: await catalogueEventCounts(listed.map((i) => i.id)),
    };
  });

  it('a second run of the same build name creates nothing new anywhere', { timeout: 300_000 }, async () => {
    expect(first, 'the first run must have passed').toBeDefined();
    // The operator repeats the command: the name is taken, nothing starts.
    const again = await fedimg(buildArgs);
    expect(again.code).toBe(0);
    expect(again.json).toMatchObject({ state: 'completed', started: false, runId: first.runId });

    // The release runs again under the same name anyway (as after a failed or terminated run,
    // which the same command may start again): every step finds what the first run made.
    const before = tap.messages.length;
    const duplicatesBefore = await duplicatesCounted();
    const plan = planBuild(config, build, new Date());
    const handle = await worker.client.workflow.start('imageReleaseWorkflow', {
      taskQueue: plan.taskQueue,
      workflowId: plan.workflowId,
      args: [plan.input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: plan.searchAttributes,
    });
    expect(handle.firstExecutionRunId).not.toBe(first.runId);
    const result = (await handle.result()) as ImageReleaseResult;
    expect(result).toMatchObject({ status: 'completed', outcome: 'published', kojiTaskId: first.result.kojiTaskId });

    // No second Koji task: the submission adopted the first one.
    expect((await kojiClient().listTasks({ method: 'kiwiBuild' })).map((t) => t.id)).toEqual([first.result.kojiTaskId]);
    expect(koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' })).toBe(1);
    // Files: the same bytes, not rewritten.
    expect(downloadFiles()).toEqual(first.files);
    // EC2 and Glance: the same single image everywhere.
    expect(await amisByRegion()).toEqual(first.amis);
    expect(await activeGlanceImages()).toEqual(first.glanceIds);
    for (const arch of ARCHES) expect(published(result, arch), arch).toEqual(published(first.result, arch));

    // The bus: the same announcements again, under the same message ids (consumers deduplicate).
    const rerun = await waitFor('the second completion message', () => {
      const mine = releaseMessages().filter((m) => tap.messages.indexOf(m) >= before);
      return mine.some((x) => schemaOf(x) === 'fedimg.image.complete.v1') ? mine : undefined;
    });
    expect(rerun.length).toBeGreaterThan(0);
    expect(rerun.map((m) => String(m.messageId)).filter((id) => !first.messageIds.has(id)), 'message ids the first run did not send').toEqual([]);

    // The catalogue took them as duplicates: no image gained a history line.
    await waitFor('the catalogue to count the re-announcements as duplicates', async () => ((await duplicatesCounted()) >= duplicatesBefore + rerun.length ? true : undefined), 60_000);
    expect(await catalogueEventCounts([...first.catalogueEvents.keys()])).toEqual(first.catalogueEvents);
    expect(await catalogueImages()).toHaveLength(2);
  });
});
