// Announcing results on the bus. Publishing is an activity that retries without limit (a broker
// that is down delays a message, never loses it); message ids derive from the event, so a
// retried publish is the same message and consumers deduplicate it.
import { proxyActivities } from '@temporalio/workflow';
import type { BusActivities } from '../activities/bus';
import { composeId } from '../domain/build-names';
import type { ImageReleaseInput } from '../domain/image-release';
import type { z } from 'zod';
import { buildMessage, messageRelease, type MessageType } from '../domain/messages';

const bus = proxyActivities<BusActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '2m', nonRetryableErrorTypes: ['MessageValidationError'] },
});

/** The six identity fields every fedimg.* message repeats. */
export function identity(input: ImageReleaseInput) {
  return {
    family: input.family.name,
    subvariant: input.family.subvariant,
    release: messageRelease(input.release, input.settings.bus.rawhideRelease),
    version: input.name.version,
    compose_id: composeId(input.release, input.name),
    build_kind: input.kind,
  };
}

/** Publishes one message; returns its id (deterministic per event). */
export async function announce<S extends z.ZodType<Record<string, unknown>>>(type: MessageType<S>, body: z.input<S>): Promise<string> {
  const { messageId } = await bus.publishMessage(buildMessage(type, body));
  return messageId;
}
