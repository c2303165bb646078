// The worker process. It polls three task queues:
//   orchestration  workflows and light activities (Koji calls, messages, cloud API calls);
//   files          heavy file work any host may take first (fetching an image);
//   files-<host>   file work on images this host has staged (convert, upload).
// It is the only place that builds real clients, from the settings and the secrets.
// SIGINT/SIGTERM start a graceful shutdown: pollers stop, in-flight activities get
// shutdownGraceTime to finish (or heartbeat out and resume elsewhere from their details).
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { resolve } from 'node:path';
import { getConfig } from '../config';
import { temporalTarget } from '../config/temporal-connection';
import { MissingSecretError } from '../config/secrets';
import { Client, Connection } from '@temporalio/client';
import { buildActivities } from './activities';
import { startKojiConsumer } from './koji-consumer';
import { startStagingJanitor } from './staging-janitor';
import { hostId, hostTaskQueue } from './host-identity';
import { workflowBundle as loadWorkflowBundle } from './workflow-bundle';
import { busConnectionOptions } from './clients-from-config';

async function main(): Promise<void> {
  const config = getConfig();
  const target = temporalTarget(config);
  const host = hostId();
  const hostQueue = hostTaskQueue(config.temporal.taskQueues.files, host);

  Runtime.install({
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      metrics: { prometheus: { bindAddress: config.temporal.workerMetricsAddress } },
    },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });

  const { activities, close } = buildActivities(config, { host, hostQueue, temporalAddress: target.connection.address });
  const connection = await NativeConnection.connect(target.connection);
  // Bundled once per process, for the one Worker that runs workflows (the file queues run only
  // activities). A prebuilt bundle (FEDIMG_WORKFLOW_BUNDLE) spares webpack's ~110 MiB: see there.
  const workflowBundle = await loadWorkflowBundle();
  const common = { connection, namespace: target.namespace, shutdownGraceTime: '30s', activities } as const;

  const workers = await Promise.all([
    // The workflow cache keeps the SDK's default size (derived from the heap limit): in the scale
    // bench (20 releases, 140 open workflows) the workflow thread's heap grew ~65 -> ~200 MiB, but
    // capping the cache at 50 left peak RSS the same (730 MiB) - evicted workflows replay instead.
    Worker.create({ ...common, taskQueue: config.temporal.taskQueues.orchestration, workflowBundle }),
    // File work is disk- and CPU-bound: a few at a time per host keeps memory and disk bounded.
    // Heartbeats carry resume points (download offsets, acknowledged snapshot blocks): send them
    // often, so a crash repeats seconds of work, not the default throttle's tens of seconds.
    Worker.create({ ...common, taskQueue: config.temporal.taskQueues.files, maxConcurrentActivityTaskExecutions: 2, maxHeartbeatThrottleInterval: '2s' }),
    Worker.create({ ...common, taskQueue: hostQueue, maxConcurrentActivityTaskExecutions: 4, maxHeartbeatThrottleInterval: '2s' }),
  ]);

  // Koji's bus messages wake waiting releases early; polling covers any message that is lost.
  const clientConnection = await Connection.connect({ ...target.connection, address: target.connection.address } as Parameters<typeof Connection.connect>[0]);
  const kojiConsumer = startKojiConsumer({
    connection: busConnectionOptions(config.bus),
    exchange: config.bus.exchange,
    queue: config.bus.kojiQueue,
    kojiTopicPrefix: config.bus.kojiTopicPrefix,
    client: new Client({ connection: clientConnection, namespace: target.namespace }),
    kojiUser: config.koji.user,
  });

  // This host's staged files that no release will clean up any more (a late-returning host).
  const janitor = startStagingJanitor({
    stagingDir: resolve(config.staging.dir),
    client: new Client({ connection: clientConnection, namespace: target.namespace }),
    intervalMs: config.staging.janitorIntervalMinutes * 60_000,
    orphanAfterMs: config.staging.orphanAfterHours * 3_600_000,
    log: (line) => console.log(line),
  });

  console.log(
    `fedimg worker ${host}: polling ${workers.map((w) => w.options.taskQueue).join(', ')} on ${target.connection.address} ` +
      `(namespace ${target.namespace}); metrics on http://${config.temporal.workerMetricsAddress}/metrics`,
  );
  await Promise.all(workers.map((w) => w.run()));
  await janitor.stop();
  await kojiConsumer.stop();
  await close();
  await clientConnection.close();
  await connection.close();
  console.log('fedimg worker: stopped');
}

main().catch((err: unknown) => {
  // A missing secret is an operator's fix, not a crash: say which and how, without a trace.
  const message = err instanceof MissingSecretError || err instanceof Error ? err.message : String(err);
  console.error(`fedimg worker: ${message}`);
  process.exit(1);
});
