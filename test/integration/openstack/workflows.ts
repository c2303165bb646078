// A test-only workflow around the Glance activities, bundled by the test itself. It is also the
// shape the real ImageRelease workflow should take for Glance: publish (retried by Temporal's
// policy), then wait for `active` with durable timers, never inside the activity.
import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { GlanceActivities, PublishToGlanceInput, PublishToGlanceResult } from '../../../activities/glance';

export interface PublishAndWaitOptions {
  maximumAttempts: number;
  pollSeconds: number;
  maxPolls: number;
}

export async function publishAndWaitForGlance(input: PublishToGlanceInput, opts: PublishAndWaitOptions): Promise<PublishToGlanceResult> {
  const { publishToGlance, getGlanceImage } = proxyActivities<GlanceActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 1.5, maximumInterval: '2 seconds', maximumAttempts: opts.maximumAttempts },
  });
  let result = await publishToGlance(input);
  for (let polls = 0; result.status !== 'active'; polls++) {
    if (polls >= opts.maxPolls) throw ApplicationFailure.nonRetryable(`image ${result.imageId} still ${result.status}`, 'GlanceNotActive');
    await sleep(`${opts.pollSeconds} seconds`);
    const now = await getGlanceImage({ imageId: result.imageId, expectedSize: input.size, expectedSha512: result.sha512 ?? undefined });
    if (!now || now.status === 'killed') throw ApplicationFailure.nonRetryable(`image ${result.imageId} ${now ? 'was killed' : 'vanished'}`, 'GlanceNotActive');
    result = { ...result, ...now };
  }
  return result;
}
