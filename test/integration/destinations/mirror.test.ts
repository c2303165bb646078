// A destination added from the test tree through the registries alone (README "Adding a
// destination"): the mirror in ./mirror/ has every part the completeness check asks for, and a
// release of a family that names it runs end to end through the real arch pipeline — Koji
// simulator, fetch, conversion, the download server and the mirror side by side, its message on
// the real bus, its entry in image.complete. Without its registration the same input is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactActivities } from '../../../activities/artifacts';
import { createBusActivities } from '../../../activities/bus';
import { createDownloadActivities } from '../../../activities/downloads';
import { createFetchActivities } from '../../../activities/fetch';
import { createKojiActivities } from '../../../activities/koji';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { createDirectoryTarget } from '../../../clients/downloads';
import { KojiClient } from '../../../clients/koji';
import { getConfig } from '../../../config';
import { releaseInput } from '../../../config/release-input';
import { configSchema } from '../../../config/schema';
import { readSecret } from '../../../config/secrets';
import { temporalTarget } from '../../../config/temporal-connection';
import type { Destination, ImageReleaseInput } from '../../../domain/image-release';
import { FAILURE_STAGES } from '../../../domain/failures';
import { messageType, registerMessageType } from '../../../domain/messages';
import { busPublisherOptions } from '../../../workers/clients-from-config';
import type { DestinationOutcome } from '../../../workflows/destinations/types';
import type { ImageReleaseResult } from '../../../workflows/image-release';
import { bodyOf, startBusTap, type BusTap } from '../../helpers/bus-tap';
import { destinationProblems } from '../../helpers/destination-completeness';
import { startFastKoji, type FastKoji } from '../../helpers/fast-koji';
import { testClient, uniqueQueue, withWorkers } from '../../helpers/temporal';
import { createMirrorActivities } from './mirror/activities';
import { mirrorCatalogue } from './mirror/catalogue';
import { mirrorPublishedV1 } from './mirror/messages';
import { MIRROR_ID, mirrorSection, mirrorSpec } from './mirror/spec';
import { mirrorDestination } from './mirror/workflow';

const TOPIC_PREFIX = 'fedimg.test.destinations';
const dir = mkdtempSync(join(tmpdir(), 'fedimg-mirror-'));
const mirrorRoot = join(dir, 'mirror');
const downloads = join(dir, 'downloads');
let koji: FastKoji;
let publisher: BusPublisher;
let tap: BusTap;

beforeAll(async () => {
  const config = getConfig();
  registerMessageType(mirrorPublishedV1);
  koji = await startFastKoji(join(dir, 'koji'), { imageSizeBytes: 32 * 1024 * 1024 });
  const bus = { ...config.bus, topicPrefix: TOPIC_PREFIX };
  publisher = createBusPublisher(busPublisherOptions(bus, readSecret(config.bus.signing.privateKey, 'bus signing key')));
  tap = await startBusTap(bus, `${TOPIC_PREFIX}.#`);
});
afterAll(async () => {
  await tap?.stop();
  await publisher?.close();
  await koji?.sim.close();
});

function activities(queue: string) {
  const kojiClient = new KojiClient({ hubUrl: koji.sim.hubUrl, auth: { method: 'password', user: koji.user, password: koji.password } });
  const staging = join(dir, 'staging');
  return {
    ...createKojiActivities({ koji: kojiClient }),
    ...createFetchActivities({ topUrl: koji.sim.topUrl, stagingDir: staging, maxImageBytes: 1024 ** 3, hostTaskQueue: queue, hostId: 'mirror-test-host' }),
    ...createArtifactActivities({ stagingDir: staging, maxImageBytes: 1024 ** 3, qemuParallelism: 4, xzThreads: 2 }),
    ...createDownloadActivities({ target: createDirectoryTarget({ root: downloads, layout: '{release}/{family}/{arch}/images/{file}' }) }),
    ...createBusActivities({ publisher }),
    ...createMirrorActivities(mirrorSection.parse({ root: mirrorRoot })),
  };
}

function input(queue: string, label: string): ImageReleaseInput {
  const base = releaseInput(getConfig(), { family: 'Cloud-Base-Generic', release: '44', kind: 'rc', name: { version: '44', label } });
  return {
    ...base,
    family: { ...base.family, outputs: ['qcow2', 'raw.tar.xz'], destinations: ['downloads', MIRROR_ID as Destination] },
    settings: { ...base.settings, kojiPoll: { initialSeconds: 1, maxSeconds: 2 }, taskQueues: { orchestration: queue, files: queue } },
  };
}

describe('a destination added through the registries alone', () => {
  it('has every part a destination needs', () => {
    const around = { configSections: [...Object.keys(configSchema.shape), mirrorSpec.configSection], messageType, failureStages: FAILURE_STAGES };
    const parts = { id: MIRROR_ID, spec: mirrorSpec, workflow: mirrorDestination, worker: createMirrorActivities, catalogue: mirrorCatalogue };
    expect(destinationProblems(parts, around)).toEqual([]);
    // ...and the check is not blind: without its catalogue part it is caught.
    expect(destinationProblems({ ...parts, catalogue: undefined }, around)).toEqual([expect.stringContaining('mirror: no catalogue part')]);
  });

  it('publishes a release to the mirror beside the download server, announced and reported', async () => {
    const q = uniqueQueue('mirror');
    const target = temporalTarget(getConfig());
    const connection = await NativeConnection.connect({ address: target.connection.address });
    const bundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./mirror/workflows.ts', import.meta.url)),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    });
    const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: q, workflowBundle: bundle, activities: activities(q) });
    const { client, close } = await testClient();
    let result: ImageReleaseResult;
    try {
      result = await worker.runUntil(client.workflow.execute('imageReleaseWorkflow', { taskQueue: q, workflowId: `test-${q}`, args: [input(q, '1.1')] }));
    } finally {
      await close();
      await connection.close();
    }

    expect(result.outcome).toBe('published');
    expect(result.arches.map((a) => a.arch).sort()).toEqual(['aarch64', 'x86_64']);
    for (const a of result.arches) {
      const mirror = a.destinations[MIRROR_ID] as DestinationOutcome<{ files: Array<{ name: string; path: string; sha256: string }> }>;
      expect(mirror.ok, JSON.stringify(mirror)).toBe(true);
      if (!mirror.ok) continue;
      const folder = join(mirrorRoot, '44', a.arch);
      // The mirrored qcow2 is the converted image, byte for byte: its CHECKSUM (from the artifact
      // stage) verifies it, and it is the same file the download server has.
      expect(execFileSync('sha256sum', ['-c', '--ignore-missing', a.artifacts.checksumFile.name], { cwd: folder, encoding: 'utf8' })).toMatch(/qcow2: OK/);
      const qcow2 = a.artifacts.qcow2?.name ?? '';
      const published = join(downloads, '44', 'Cloud-Base-Generic', a.arch, 'images', qcow2);
      expect(readFileSync(join(folder, qcow2)).equals(readFileSync(published))).toBe(true);
      expect(a.destinations.downloads?.ok).toBe(true);
    }

    // Its own message for each arch, and image.complete reporting it with the download server
    // (which announces nothing here: the test's download directory has no public URL).
    await expect.poll(() => tap.select((b) => b.compose_id === 'Fedora-44-1.1').length, { timeout: 10_000 }).toBe(4);
    const mirrored = tap.messages.filter((m) => m.headers.fedora_messaging_schema === 'fedimg.test.mirror.published.v1').map(bodyOf);
    expect(mirrored.map((b) => b.architecture).sort()).toEqual(['aarch64', 'x86_64']);
    const complete = tap.messages.filter((m) => m.headers.fedora_messaging_schema === 'fedimg.image.complete.v1').map(bodyOf);
    expect(complete).toHaveLength(1);
    const entries = complete[0]?.destinations as Array<{ destination: string; architecture: string; status: string; image_name?: string }>;
    expect(entries.filter((e) => e.destination === MIRROR_ID).map((e) => [e.architecture, e.status]).sort()).toEqual([
      ['aarch64', 'published'],
      ['x86_64', 'published'],
    ]);
  });

  it('without its registration, a release naming it is refused before any Koji task', async () => {
    const q = uniqueQueue('mirror-unknown');
    const before = koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' });
    const err = await withWorkers([{ taskQueue: q, activities: activities(q) }], (client) =>
      client.workflow.execute('imageReleaseWorkflow', { taskQueue: q, workflowId: `test-${q}`, args: [input(q, '1.2')] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toContain('family.destinations[1]: "mirror" is not a destination; use one of downloads, glance, ec2');
    expect(koji.sim.submissions({ owner: koji.user, method: 'kiwiBuild' })).toBe(before);
  });
});
