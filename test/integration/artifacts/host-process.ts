// One worker "host" in a process of its own, as on a real machine: a worker on the shared files
// queue (the fetch) and one on the host's own queue `<files>-<host id>` (conversion, publishing,
// cleanup), with the host's own staging dir; real activities. Several workers on one queue in
// one process are not what production runs (and Temporal's matching then hands a refused task
// back to the refusing worker far more often than across processes), hence the processes.
// Prints one JSON line per stageImage outcome; SIGTERM shuts it down gracefully (in-flight
// activities finish first).
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { createArtifactActivities } from '../../../activities/artifacts';
import { createDownloadActivities } from '../../../activities/downloads';
import { createFetchActivities, type StageImageInput, type StagedImage } from '../../../activities/fetch';
import { createDirectoryTarget } from '../../../clients/downloads';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: ['SIGTERM', 'SIGINT'] });
  const need = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is required`);
    return v;
  };
  const id = need('FEDIMG_TEST_HOST_ID');
  const filesQueue = need('FEDIMG_TEST_FILES_QUEUE');
  const stagingDir = need('FEDIMG_TEST_STAGING');
  const queue = `${filesQueue}-${id}`;
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const fetch = createFetchActivities({ topUrl: need('FEDIMG_TEST_TOP_URL'), stagingDir, maxImageBytes: 1 << 30, hostTaskQueue: queue, hostId: id });
  const common = { connection, namespace: target.namespace, identity: `${process.pid}@${id}`, shutdownGraceTime: '30s', maxHeartbeatThrottleInterval: '2s' } as const;
  const hostWorker = await Worker.create({
    ...common,
    taskQueue: queue,
    activities: {
      ...createArtifactActivities({ stagingDir, maxImageBytes: 1 << 30, qemuParallelism: 2, xzThreads: 1 }),
      ...createDownloadActivities({ target: createDirectoryTarget({ root: need('FEDIMG_TEST_DOWNLOADS'), layout: need('FEDIMG_TEST_LAYOUT') }) }),
    },
  });
  const hostRunning = hostWorker.run();
  const report = (outcome: string) => process.stdout.write(`${JSON.stringify({ stage: outcome })}\n`);
  const stageImage = async (input: StageImageInput): Promise<StagedImage> => {
    try {
      const staged = await fetch.stageImage(input);
      // The "host lost" test: this host stops serving its own queue before the conversion.
      if (process.env.FEDIMG_TEST_STOP_HOST_QUEUE_ON_STAGE) {
        hostWorker.shutdown();
        await hostRunning;
      }
      report('staged');
      return staged;
    } catch (err) {
      report((err as { type?: string }).type ?? (err as Error).name);
      throw err;
    }
  };
  const filesWorker = await Worker.create({ ...common, taskQueue: filesQueue, activities: { stageImage } });
  const filesRunning = filesWorker.run();
  process.stdout.write('ready\n');
  await Promise.all([filesRunning, hostRunning]);
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
