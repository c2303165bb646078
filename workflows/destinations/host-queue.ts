// Activity options for work on the host that staged the image (its own task queue), shared by the
// arch pipeline (fetch, conversion, cleanup) and by destinations that publish from the staged
// files. A host-queue activity nobody starts within the context's lostAfterMs means the host is
// gone, and the arch pipeline stages the image again elsewhere (workflows/failures hostLost).
import type { ActivityOptions } from '@temporalio/workflow';
import { STAGING_NON_RETRYABLE } from '../../domain/failures';

/** Long file work with heartbeats; `nonRetryable` adds a stage's final failure types to staging's. */
export function fileWork(nonRetryable: readonly string[] = []): ActivityOptions {
  return {
    startToCloseTimeout: '2h',
    heartbeatTimeout: '2m',
    retry: {
      initialInterval: '10s',
      maximumInterval: '5m',
      maximumAttempts: 10,
      // DiskFullError is among staging's: final on the host that met it, the pipeline stages again elsewhere.
      nonRetryableErrorTypes: [...STAGING_NON_RETRYABLE, ...nonRetryable],
    },
  };
}

/** fileWork on the staging host's queue, with the lost-host schedule-to-start limit. */
export function onStagingHost(taskQueue: string, lostAfterMs: number, nonRetryable: readonly string[] = []): ActivityOptions {
  return { ...fileWork(nonRetryable), taskQueue, scheduleToStartTimeout: lostAfterMs };
}
