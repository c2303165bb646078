// Koji's bus message wakes a release: the simulator announces its scratch build like Fedora's hub
// (buildsys.task.state.change), the pipeline's Koji consumer signals the release waiting for that
// task, and the release asks Koji and moves on. The release polls Koji only every 10 minutes here,
// so a build stage that ends seconds after Koji closed the task was woken by the message.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { readSecret } from '../../../config/secrets';
import type { ImageReleaseInput } from '../../../domain/image-release';
import { startKojiSim, TASK_STATES, type KojiSim } from '../../../sim/koji';
import { startKojiConsumer } from '../../../workers/koji-consumer';
import { imageReleaseWorkflow } from '../../../workflows';
import { uniqueQueue, withWorkers } from '../../helpers/temporal';
import { AMQP_URL, EXCHANGE, uniquePrefix, withChannel } from '../bus/helpers';
import { busPublisherOptions } from '../../../workers/clients-from-config';

const POLL_SECONDS = 600;
const prefix = uniquePrefix('kojiwake');
const kojiQueue = `${prefix}.koji`;
const staging = mkdtempSync(join(tmpdir(), 'fedimg-wake-staging-'));
const downloads = mkdtempSync(join(tmpdir(), 'fedimg-wake-downloads-'));
let sim: KojiSim;
let publisher: BusPublisher;

beforeAll(async () => {
  const config = getConfig();
  // The release's own messages go under this test's prefix: nothing reaches the stack's catalogue.
  publisher = createBusPublisher({
    ...busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus signing key')),
    topicPrefix: `${prefix}.fedimg`,
  });
  sim = await startKojiSim({
    dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-wake-')),
    users: [{ name: 'fedimg', password: 'fedimg-pw', perms: ['image', 'livecd', 'appliance'] }],
    // Seconds per step, so the release is certainly waiting on its timer when the task closes.
    timing: { openMs: 1000, childStartMs: 500, buildMs: 2000, finishMs: 500 },
    imageSizeBytes: 16 * 1024 * 1024,
    bus: { url: AMQP_URL, topicPrefix: prefix },
  });
});
afterAll(async () => {
  await sim?.close();
  await publisher?.close();
  await withChannel((ch) => ch.deleteQueue(kojiQueue)).catch(() => undefined);
});

function activities(queue: string) {
  const koji = new KojiClient({ hubUrl: sim.hubUrl, auth: { method: 'password', user: 'fedimg', password: 'fedimg-pw' } });
  return {
    ...createKojiActivities({ koji }),
    ...createFetchActivities({ topUrl: sim.topUrl, stagingDir: staging, maxImageBytes: 1024 ** 3, hostTaskQueue: queue, hostId: 'test-host' }),
    ...createArtifactActivities({ stagingDir: staging, maxImageBytes: 1024 ** 3, qemuParallelism: 4, xzThreads: 2 }),
    ...createDownloadActivities({ target: createDirectoryTarget({ root: downloads, layout: '{release}/{family}/{arch}/images/{file}' }) }),
    ...createBusActivities({ publisher }),
  };
}

function input(queue: string): ImageReleaseInput {
  const base = releaseInput(getConfig(), { family: 'Cloud-Base-Generic', release: '44', kind: 'rc', name: { version: '44', label: '9.1' } });
  expect(base.scratch).toBe(true);
  return {
    ...base,
    family: { ...base.family, arches: ['x86_64'], destinations: ['downloads'] },
    settings: { ...base.settings, kojiPoll: { initialSeconds: POLL_SECONDS, maxSeconds: POLL_SECONDS }, taskQueues: { orchestration: queue, files: queue } },
  };
}

describe("Koji's bus message", () => {
  it('wakes the release waiting for the task: the build stage ends seconds after Koji closes it, not at the next poll', async () => {
    const q = uniqueQueue('koji-wake');
    const workflowId = `test-${q}`;
    const result = await withWorkers([{ taskQueue: q, activities: activities(q) }], async (client) => {
      const consumer = startKojiConsumer({
        connection: { url: AMQP_URL },
        exchange: EXCHANGE,
        queue: kojiQueue,
        kojiTopicPrefix: prefix,
        client,
        kojiUser: 'fedimg',
        lookAgainAfterMs: [500, 1000, 2000],
      });
      try {
        await consumer.ready;
        const handle = await client.workflow.start(imageReleaseWorkflow, { taskQueue: q, workflowId, args: [input(q)] });
        const parent = await waitForParent();
        const closed = await sim.waitForTask(parent);
        const closedAt = Date.now();
        expect(closed.state).toBe(TASK_STATES.CLOSED);
        const r = await handle.result();
        const events = (await handle.fetchHistory()).events ?? [];
        return { r, parent, closedAt, events, doneAt: Date.now() };
      } finally {
        await consumer.stop();
      }
    });
    expect(result.r.status).toBe('completed');
    expect(result.r.kojiTaskId).toBe(result.parent);

    // The history holds Koji's wake-ups: OPEN and CLOSED for this task, nothing else from the message.
    const signals = result.events
      .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'kojiTaskStateChanged')
      .map((e) => JSON.parse(Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as unknown);
    expect(signals).toContainEqual({ taskId: result.parent, state: 'CLOSED' });
    expect(signals).toContainEqual({ taskId: result.parent, state: 'OPEN' });

    // Woken, not polled: the whole rest of the release took far less than one poll interval.
    const latencyS = (result.doneAt - result.closedAt) / 1000;
    console.log(`Koji task ${result.parent} CLOSED -> release completed in ${latencyS.toFixed(1)} s (poll interval ${POLL_SECONDS} s)`);
    expect(latencyS).toBeLessThan(60);
  }, 120_000);
});

async function waitForParent(timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = sim.state().tasks.find((x) => x.parent === null && x.method === 'kiwiBuild');
    if (t) return t.id;
    if (Date.now() > deadline) throw new Error('the release submitted no Koji task');
    await new Promise((r) => setTimeout(r, 100));
  }
}
