// The one base of every error a client throws on purpose. Each subclass has a stable `name` (the
// activity passes it on, or maps it to a type in domain/failures), a message that says what is
// wrong and what to do, and says whether another attempt, later, may succeed. Errors from below
// (a socket, a child process) are wrapped as the `cause` of one of these, never thrown bare.
export class ClientError extends Error {
  override name = 'ClientError';
  /** Whether another attempt, later, may succeed. */
  readonly retryable: boolean = false;
}
