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
}

export interface ScheduledReleaseResult {
  imageWorkflowId: string;
  name: BuildName;
  /** False when this slot's release had already been started by an earlier trigger. */
  started: boolean;
}

export async function scheduledReleaseWorkflow({ template, kind }: ScheduledReleaseInput): Promise<ScheduledReleaseResult> {
  const info = workflowInfo();
  const slot = info.typedSearchAttributes.get(TemporalScheduledStartTime);
  if (!slot) {
    throw ApplicationFailure.nonRetryable('scheduledReleaseWorkflow runs from a Schedule only: use `build` for a manual release', 'NotScheduled');
  }
  const name = scheduledBuildName(kind, template.release, slot);
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
