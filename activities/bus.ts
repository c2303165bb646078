// Publishing to the message bus as an activity. The input is checked against the message registry
// (a bad body or a topic that does not match it is a bug: non-retryable); the message id comes
// from the event key, so every retry sends the same message; the broker's confirm is awaited, and
// a broker that is down or refuses is a retryable failure: the message is delayed, never lost.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BusPublisher } from '../clients/bus/publisher';
import { BusUnavailableError } from '../clients/bus/errors';
import { MessageFormatError } from '../clients/bus/wire';
import { checkOutgoingMessage, type PublishMessageInput, type PublishedMessage } from '../domain/messages/registry';
import { BusFailureType } from '../domain/failures/bus';

export interface BusActivityDeps {
  publisher: Pick<BusPublisher, 'publish'>;
}

/** Failure types a workflow's retry policy or error handling can match. */

export function createBusActivities({ publisher }: BusActivityDeps) {
  return {
    async publishMessage(input: PublishMessageInput): Promise<PublishedMessage> {
      const checked = checkOutgoingMessage(input);
      if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.problem, BusFailureType.Invalid);
      const signal = currentCancellationSignal();
      try {
        return await publisher.publish(
          {
            topic: input.topic,
            body: checked.body,
            schema: checked.type.schemaName,
            ...(checked.type.schemaPackage ? { schemaPackage: checked.type.schemaPackage } : {}),
            eventKey: input.eventKey,
            severity: checked.severity,
            ...(checked.users.length > 0 ? { markers: { user: checked.users } } : {}),
          },
          signal ? { signal } : {},
        );
      } catch (err) {
        if (err instanceof MessageFormatError) throw ApplicationFailure.nonRetryable(err.message, BusFailureType.Invalid);
        if (err instanceof BusUnavailableError) {
          throw ApplicationFailure.create({ message: err.message, type: BusFailureType.Unavailable, nonRetryable: false, cause: err });
        }
        throw err;
      }
    },
  };
}

export type BusActivities = ReturnType<typeof createBusActivities>;

function currentCancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (a script, a test)
  }
}
