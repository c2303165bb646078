// What a nightly or weekly Schedule starts. It names the build from the slot's *scheduled* time
// (TemporalScheduledStartTime), not the moment it runs, and starts the image release under the
// workflow id that name gives. A slot triggered twice (a retry, a manual trigger, a catch-up)
// therefore maps to one workflow id, and Temporal refuses the second start: one Koji build.
import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { imageWorkflowId, scheduledBuildName, type BuildName } from '../domain/build-names';
import type { ImageReleaseInput } from '../domain/image-release';
import { TemporalScheduledStartTime } from '../domain/search-attributes';
import { imageReleaseWorkflow } from './image-release';

export interface ScheduledReleaseInput {
  template: Omit<ImageReleaseInput, 'name' | 'kind'>;
  kind: 'nightly' | 'weekly';
  /**
   * The schedule's IANA time zone: the build is named after the slot's date there. Schedules
   * synced before it was passed leave it out and keep the UTC date they had.
   */
  timezone?: string;
}

export interface ScheduledReleaseResult {
  imageWorkflowId: string;
  name: BuildName;
  /** False when this slot's release had already been started by an earlier trigger. */
  started: boolean;
}

export async function scheduledReleaseWorkflow({ template, kind, timezone }: ScheduledReleaseInput): Promise<ScheduledReleaseResult> {
  const info = workflowInfo();
  const slot = info.typedSearchAttributes.get(TemporalScheduledStartTime);
  if (!slot) {
    throw ApplicationFailure.nonRetryable('scheduledReleaseWorkflow runs from a Schedule only: use `build` for a manual release', 'NotScheduled');
  }
  // Recorded histories carry no zone and replay with the UTC date they ran with.
  let name: BuildName;
  try {
    name = scheduledBuildName(kind, template.release, slot, timezone ?? 'UTC');
  } catch (err) {
    // Intl's RangeError would fail the workflow task over and over; `schedules sync` refuses such
    // a zone, so only a schedule made by hand gets here.
    throw ApplicationFailure.nonRetryable(
      `timezone ${JSON.stringify(timezone)} is not an IANA time zone (${(err as Error).message}); give one such as "UTC" or "Europe/Prague"`,
      'InvalidScheduleInput',
    );
  }
  const workflowId = imageWorkflowId(template.family.name, template.release, name);
  try {
    await startChild(imageReleaseWorkflow, {
      workflowId,
      args: [{ ...template, kind, name }],
      // The release outlives this small starter: it may take hours, the starter seconds.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A slot whose release already finished must not build again (a late catch-up, a second
      // trigger the same day); only a failed release may be started anew.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      taskQueue: template.settings.taskQueues.orchestration,
    });
    return { imageWorkflowId: workflowId, name, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { imageWorkflowId: workflowId, name, started: false };
    throw err;
  }
}
