// Test-only workflowsPath for worker-kill.test.ts: stages one image through the real stageImage
// activity, with a short heartbeat timeout and quick retries so a killed worker's attempt is
// retried (and resumed) within seconds. Only the activity runs in the test's child process.
import { proxyActivities } from '@temporalio/workflow';
import type { FetchActivities, StagedImage } from '../../../activities/fetch';
import type { BuiltImage } from '../../../domain/image-release';

const { stageImage } = proxyActivities<FetchActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 1, maximumAttempts: 3 },
});

export async function stageOnlyWorkflow(input: { imageKey: string; image: BuiltImage }): Promise<StagedImage> {
  return stageImage(input);
}
