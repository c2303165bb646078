// The production worker's shape, in the test process: every real activity built from the settings
// by workers/activities.ts, polled on the config's orchestration queue, its files queue and this
// host's own files queue, with the same concurrency limits as workers/main.ts.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import { buildActivities } from '../../workers/activities';
import { hostTaskQueue } from '../../workers/host-identity';
import { workflowBundle } from './temporal';

export interface RunningReleaseWorker {
  client: Client;
  host: string;
  stop(): Promise<void>;
}

export async function startReleaseWorker(config: Config, host: string): Promise<RunningReleaseWorker> {
  const target = temporalTarget(config);
  const hostQueue = hostTaskQueue(config.temporal.taskQueues.files, host);
  const { activities, close } = buildActivities(config, { host, hostQueue, temporalAddress: target.connection.address });
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const common = { connection, namespace: target.namespace, activities, shutdownGraceTime: '5s' } as const;
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: config.temporal.taskQueues.orchestration, workflowBundle: await workflowBundle() }),
    Worker.create({ ...common, taskQueue: config.temporal.taskQueues.files, maxConcurrentActivityTaskExecutions: 2, maxHeartbeatThrottleInterval: '2s' }),
    Worker.create({ ...common, taskQueue: hostQueue, maxConcurrentActivityTaskExecutions: 4, maxHeartbeatThrottleInterval: '2s' }),
  ]);
  const running = workers.map((w) => w.run());
  const clientConnection = await Connection.connect({ address: target.connection.address });
  const client = new Client({ connection: clientConnection, namespace: target.namespace });
  return {
    client,
    host,
    async stop() {
      workers.forEach((w) => w.shutdown());
      await Promise.allSettled(running);
      await close();
      await clientConnection.close();
      await connection.close();
    },
  };
}
