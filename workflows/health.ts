// Runs the probe activity once on every task queue the caller names and reports the result:
// the first proof that the worker, the server and the outside services are wired together.
import { proxyActivities } from '@temporalio/workflow';
import type { HealthActivities } from '../activities/health';
import { summariseHealth, type HealthReport } from '../domain/health';

export interface HealthInput {
  taskQueues: string[];
}

export async function healthWorkflow({ taskQueues }: HealthInput): Promise<HealthReport> {
  const results = await Promise.all(
    taskQueues.map((taskQueue) =>
      proxyActivities<HealthActivities>({
        taskQueue,
        startToCloseTimeout: '30s',
        // A queue without a live worker should show up quickly, not hang the check.
        scheduleToStartTimeout: '60s',
        retry: { maximumAttempts: 3, initialInterval: '1s' },
      }).probeServices(),
    ),
  );
  return summariseHealth(results);
}
