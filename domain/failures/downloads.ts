// Stable failure types of publishing to the download server (clients/downloads). All final:
// transient storage errors are thrown as they are and retried by the activity policy.

export const DownloadFailureType = {
  /** Different content is already published under one of the names. */
  Conflict: 'DownloadConflict',
  /** A layout component or file name would leave the release's folder. */
  BadFileName: 'BadFileName',
  /** The staged file is not the one the artifact stage described. */
  SourceMismatch: 'DownloadSourceMismatch',
  /** The target (directory, bucket) cannot be used as configured. */
  Misconfigured: 'DownloadTargetMisconfigured',
} as const;

export const DOWNLOAD_NON_RETRYABLE: readonly string[] = Object.values(DownloadFailureType);
