// Stable failure types of the Koji stage (submit, wait, read the result). The activities and the
// build stage fail with these; the client's own error names (clients/koji/errors.ts) stay inside
// the client and are mapped to these at the activity boundary.

export const KojiFailureType = {
  /** The dedicated user lacks the permission (image, livecd, appliance). */
  PermissionError: 'KojiPermissionError',
  /** Koji refused the request itself (bad arch, unknown target, bad options). */
  BadRequest: 'KojiBadRequest',
  /** Login refused (password, certificate). */
  AuthError: 'KojiAuthError',
  NoSuchTask: 'KojiNoSuchTask',
  /** Koji finished but the result lacks a file this pipeline needs (image, checksum). */
  ResultIncomplete: 'KojiResultIncomplete',
  /** Any other fault Koji answered with: its own words, not retried. */
  Refused: 'KojiRefused',
  /** The task (or one of its image children) failed in Koji. The workflow's own verdict. */
  BuildFailed: 'KojiBuildFailed',
  /** A multicall's earlier attempt already applied the call (cancel twice): not an error for the caller. */
  CallAlreadyApplied: 'KojiCallAlreadyApplied',
} as const;

/** Types retrying will not change; transport errors, ServerOffline and RetryError stay retryable. */
export const KOJI_NON_RETRYABLE: readonly string[] = [
  KojiFailureType.PermissionError,
  KojiFailureType.BadRequest,
  KojiFailureType.AuthError,
  KojiFailureType.NoSuchTask,
];
