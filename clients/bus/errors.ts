// Errors of the bus client, by what the caller should do about them.
import { ClientError } from '../client-error';

/**
 * The broker cannot take the message now: unreachable, connection lost, no confirm in time, a
 * negative confirm, access refused, a missing exchange. All are worth retrying: a message must be
 * delayed, never lost, and an operator can fix the broker, permissions or settings while the
 * activity retries with back-off (its last failure, shown in the Temporal UI, says why). A repeat
 * keeps the message id, so a publish that did get through and is repeated is one message to
 * consumers that deduplicate by id.
 */
export class BusUnavailableError extends ClientError {
  override name = 'BusUnavailableError';
  override readonly retryable: boolean = true;
  /** The AMQP reply code when the broker closed the channel or connection (403, 404, 320…). */
  readonly code: number | undefined;
  constructor(message: string, options?: { cause?: unknown; code?: number }) {
    super(message, options);
    this.code = options?.code;
  }
}
