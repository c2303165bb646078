// The worker process: polls the orchestration queue (workflows + light activities) and the
// files queue (heavy file work). It is the only place that builds real clients from the config.
// SIGINT/SIGTERM start a graceful shutdown: pollers stop, in-flight activities get
// shutdownGraceTime to finish (or heartbeat out and resume elsewhere from their details).
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import { getConfig } from '../config';
import { temporalTarget } from '../config/temporal-connection';
import { createHealthActivities } from '../activities/health';
import { healthTargets } from './health-targets';

async function main(): Promise<void> {
  const config = getConfig();
  const target = temporalTarget(config);

  Runtime.install({
    logger: undefined,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
      metrics: { prometheus: { bindAddress: config.temporal.workerMetricsAddress } },
    },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });

  const connection = await NativeConnection.connect(target.connection);
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });

  const health = createHealthActivities(healthTargets(config, target.connection.address));
  const common = { connection, namespace: target.namespace, shutdownGraceTime: '30s' } as const;

  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: config.temporal.taskQueues.orchestration,
      workflowBundle,
      activities: { ...health },
    }),
    Worker.create({
      ...common,
      taskQueue: config.temporal.taskQueues.files,
      activities: { ...health },
      // File work is disk- and CPU-bound; a few at a time per host keeps memory bounded.
      maxConcurrentActivityTaskExecutions: 4,
    }),
  ]);

  console.log(
    `fedimg worker: polling ${workers.map((w) => w.options.taskQueue).join(', ')} on ${target.connection.address} ` +
      `(namespace ${target.namespace}); metrics on http://${config.temporal.workerMetricsAddress}/metrics`,
  );
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  console.log('fedimg worker: stopped');
}

main().catch((err: unknown) => {
  console.error(`fedimg worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
