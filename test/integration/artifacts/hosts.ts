// Worker "hosts" for the re-staging tests: each a process of its own (host-process.ts) with its
// own host id, queue and staging dir, as workers/main.ts runs one per machine; the orchestration
// worker, running the test workflow, stays in the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import type { BuiltImage, ImageReleaseInput } from '../../../domain/image-release';
import type { ArchResult } from '../../../workflows/arch-pipeline';
import { testClient, uniqueQueue } from '../../helpers/temporal';
import { archPipelineWorkflow } from './workflows';

export const DOWNLOAD_LAYOUT = '{release}/{family}/{arch}/images/{file}';

export interface TestHost {
  id: string;
  queue: string;
  stagingDir: string;
  /** Every stageImage attempt this host ran: 'staged' or the failure type. */
  stages: string[];
  /** Graceful stop (SIGTERM: in-flight activities finish first); resolves when it has exited. */
  stop(): Promise<void>;
}

export interface HostOptions {
  /** After staging, stop serving the host's own queue (the conversion is never picked up). */
  stopHostQueueOnStage?: boolean;
  onStaged?: (host: TestHost) => void;
}

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface HostProcessOptions {
  id: string;
  filesQueue: string;
  stagingDir: string;
  topUrl: string;
  downloadsRoot: string;
  stopHostQueueOnStage?: boolean;
  /** Each stageImage attempt's outcome: 'staged' or the failure type. */
  onStage?: (outcome: string) => void;
  /** The process, as soon as it exists (before it is ready): for whoever must kill it. */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Starts host-process.ts as a worker "host" (the shared files queue plus its own
 * `<files>-<id>` queue, its own staging dir) and resolves once it says it is ready. Used by the
 * re-staging tests and by test/replay/record-scenarios.ts.
 */
export async function spawnHostProcess(o: HostProcessOptions): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./host-process.ts', import.meta.url))], {
    cwd: ROOT,
    env: {
      ...process.env,
      FEDIMG_TEST_HOST_ID: o.id,
      FEDIMG_TEST_FILES_QUEUE: o.filesQueue,
      FEDIMG_TEST_STAGING: o.stagingDir,
      FEDIMG_TEST_TOP_URL: o.topUrl,
      FEDIMG_TEST_DOWNLOADS: o.downloadsRoot,
      FEDIMG_TEST_LAYOUT: DOWNLOAD_LAYOUT,
      ...(o.stopHostQueueOnStage ? { FEDIMG_TEST_STOP_HOST_QUEUE_ON_STAGE: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  o.onSpawn?.(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host ${o.id} did not start in 90 s`)), 90_000);
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (line.startsWith('{')) o.onStage?.((JSON.parse(line) as { stage: string }).stage);
      }
    });
    child.once('exit', (code) => reject(new Error(`host ${o.id} exited with ${code} before it was ready`)));
  });
  return { child, stop };
}

export interface Cluster {
  filesQueue: string;
  client: Client;
  startHost(id: string, stagingDir: string, options?: HostOptions): Promise<TestHost>;
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
  const wfRunning = wfWorker.run();
  const children: ChildProcess[] = [];

  return {
    filesQueue,
    client,
    async startHost(id, stagingDir, options = {}) {
      const host: TestHost = { id, queue: `${filesQueue}-${id}`, stagingDir, stages: [], stop: () => Promise.resolve() };
      const proc = await spawnHostProcess({
        id,
        filesQueue,
        stagingDir,
        topUrl: opts.topUrl,
        downloadsRoot: opts.downloadsRoot,
        stopHostQueueOnStage: options.stopHostQueueOnStage,
        onStage: (outcome) => {
          host.stages.push(outcome);
          if (outcome === 'staged') options.onStaged?.(host);
        },
        onSpawn: (child) => children.push(child),
      });
      host.stop = proc.stop;
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
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const gone = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          await gone;
        }),
      );
      if (wfWorker.getState() === 'RUNNING') wfWorker.shutdown();
      await wfRunning.catch(() => undefined);
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
