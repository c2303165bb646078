// Stable failure types of announcing on the message bus (clients/bus).

export const BusFailureType = {
  /** The message is not what its schema allows: a bug, final. */
  Invalid: 'MessageValidationError',
  /** The broker is down or did not confirm: retried without limit (a message is delayed, never lost). */
  Unavailable: 'BusUnavailableError',
} as const;

export const BUS_NON_RETRYABLE: readonly string[] = [BusFailureType.Invalid];
