// Download failures, split by what a retry can change.
import { ClientError } from '../client-error';

/** The connection dropped, timed out or the server answered 5xx: a retry resumes. */
export class DownloadInterruptedError extends ClientError {
  override name = 'DownloadInterruptedError';
  override readonly retryable: boolean = true;
}

/** The bytes are not the ones Koji built (size or sha256 differs): final, nothing downstream runs. */
export class DownloadVerificationError extends ClientError {
  override name = 'DownloadVerificationError';
}

/** The server says the file is not there (404/410) or refuses us (403): final. */
export class DownloadNotFoundError extends ClientError {
  override name = 'DownloadNotFoundError';
}
