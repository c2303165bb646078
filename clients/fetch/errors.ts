// Download failures, split by what a retry can change.

/** The connection dropped, timed out or the server answered 5xx: a retry resumes. */
export class DownloadInterruptedError extends Error {
  override name = 'DownloadInterruptedError';
}

/** The bytes are not the ones Koji built (size or sha256 differs): final, nothing downstream runs. */
export class DownloadVerificationError extends Error {
  override name = 'DownloadVerificationError';
}

/** The server says the file is not there (404/410) or refuses us (403): final. */
export class DownloadNotFoundError extends Error {
  override name = 'DownloadNotFoundError';
}
