// In-process worker "hosts" for the re-staging tests. Each host is what workers/main.ts runs on
// one machine, minus what these tests do not use: a worker on the shared files queue (the fetch)
// and one on its own queue `<files>-<host id>` (conversion, publishing, cleanup), each with the
// host's own staging dir, all real activities. The orchestration worker runs the test workflow.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createArtifactActivities } from '../../../activities/artifacts';
import { createDownloadActivities } from '../../../activities/downloads';
import { createFetchActivities, type StageImageInput, type StagedImage } from '../../../activities/fetch';
import { createDirectoryTarget } from '../../../clients/downloads';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import type { BuiltImage, ImageReleaseInput } from '../../../domain/image-release';
import type { ArchResult } from '../../../workflows/arch-pipeline';
import { testClient, uniqueQueue } from '../../helpers/temporal';
import { archPipelineWorkflow } from './workflows';

export const DOWNLOAD_LAYOUT = '{release}/{family}/{arch}/images/{file}';

/** What one stageImage call on a host ended as. */
export type StageOutcome = 'staged' | string;

export interface TestHost {
  id: string;
  queue: string;
  stagingDir: string;
  /** Every stageImage attempt this host ran: 'staged' or the failure type. */
  stages: StageOutcome[];
  /** Stops polling the host's own queue (conversion, publishing, cleanup), and waits for it. */
  stopHostQueue(): Promise<void>;
  /** Stops both workers (in-flight activities finish first). */
  stop(): Promise<void>;
}

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

export interface Cluster {
  filesQueue: string;
  client: Client;
  startHost(id: string, stagingDir: string, hooks?: { onStaged?: (host: TestHost) => Promise<void> }): Promise<TestHost>;
  run(image: BuiltImage, input: ImageReleaseInput): Promise<WorkflowHandle<typeof archPipelineWorkflow>>;
  close(): Promise<void>;
}

export async function startCluster(opts: { topUrl: string; downloadsRoot: string }): Promise<Cluster> {
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const { client, close } = await testClient();
  const orchestration = uniqueQueue('restage-wf');
  const filesQueue = uniqueQueue('restage-files');
  bundle ??= bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: quiet });
  const wfWorker = await Worker.create({ connection, namespace: target.namespace, taskQueue: orchestration, workflowBundle: await bundle });
  const stops: Array<() => Promise<void>> = [];
  const wfRunning = wfWorker.run();
  const stopWorker = async (w: Worker, running: Promise<void>) => {
    if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
  };

  return {
    filesQueue,
    client,
    async startHost(id, stagingDir, hooks = {}) {
      const queue = `${filesQueue}-${id}`;
      const fetch = createFetchActivities({ topUrl: opts.topUrl, stagingDir, maxImageBytes: 1 << 30, hostTaskQueue: queue, hostId: id });
      const stages: StageOutcome[] = [];
      // eslint-disable-next-line prefer-const
      let host: TestHost;
      const stageImage = async (input: StageImageInput): Promise<StagedImage> => {
        try {
          const staged = await fetch.stageImage(input);
          stages.push('staged');
          await hooks.onStaged?.(host);
          return staged;
        } catch (err) {
          stages.push((err as { type?: string }).type ?? (err as Error).name);
          throw err;
        }
      };
      // A connection of its own, as a separate machine has (and Temporal's core allows one
      // worker per task queue per connection).
      const hostConnection = await NativeConnection.connect({ address: target.connection.address });
      const common = { connection: hostConnection, namespace: target.namespace, shutdownGraceTime: '30s', maxHeartbeatThrottleInterval: '2s' } as const;
      const filesWorker = await Worker.create({ ...common, taskQueue: filesQueue, activities: { stageImage } });
      const hostWorker = await Worker.create({
        ...common,
        taskQueue: queue,
        activities: {
          ...createArtifactActivities({ stagingDir, maxImageBytes: 1 << 30, qemuParallelism: 2, xzThreads: 1 }),
          ...createDownloadActivities({ target: createDirectoryTarget({ root: opts.downloadsRoot, layout: DOWNLOAD_LAYOUT }) }),
        },
      });
      let closed = false;
      const filesRunning = filesWorker.run();
      const hostRunning = hostWorker.run();
      host = {
        id,
        queue,
        stagingDir,
        stages,
        stopHostQueue: () => stopWorker(hostWorker, hostRunning),
        stop: async () => {
          await Promise.all([stopWorker(filesWorker, filesRunning), stopWorker(hostWorker, hostRunning)]);
          if (!closed) await hostConnection.close();
          closed = true;
        },
      };
      stops.push(host.stop);
      return host;
    },
    run(image, input) {
      return client.workflow.start(archPipelineWorkflow, {
        taskQueue: orchestration,
        workflowId: `restage/${randomUUID().slice(0, 8)}`,
        args: [{ image, input: { ...input, settings: { ...input.settings, taskQueues: { orchestration, files: filesQueue } } } }],
      });
    },
    async close() {
      await Promise.all(stops.map((s) => s()));
      await stopWorker(wfWorker, wfRunning);
      await close();
      await connection.close();
    },
  };
}

/** A one-arch release that publishes only to the download server. */
export function releaseInput(label: string, lostHostAfterSeconds: number): ImageReleaseInput {
  return {
    family: {
      name: 'Cloud-Base-Generic',
      subvariant: 'Cloud_Base',
      koji: { kind: 'kiwi', descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git#main', descriptionPath: 'teams/cloud/cloud.xml', profile: 'Cloud-Base-Generic' },
      target: 'f44',
      arches: ['x86_64'],
      outputs: ['qcow2', 'raw.tar.xz'],
      destinations: ['downloads'],
    },
    release: '44',
    kind: 'rc',
    name: { version: '44', label },
    scratch: true,
    settings: {
      kojiPoll: { initialSeconds: 1, maxSeconds: 1 },
      // Replaced by the cluster's own queues in run().
      taskQueues: { orchestration: 'unset', files: 'unset' },
      bus: { rawhideRelease: 45 },
      staging: { lostHostAfterSeconds },
    },
  };
}

export type { ArchResult };
