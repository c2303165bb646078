// Errors of the download destination with stable names: the activity maps each to a Temporal
// failure type, and retry policies can match those. Anything else (network, 5xx, throttling
// after the SDK's own retries) is an outage and stays retryable.
import { ClientError } from '../client-error';

/** A release, family, arch or file name that would escape or confuse the layout. Final. */
export class BadFileNameError extends ClientError {
  override readonly name = 'BadFileName';
  constructor(
    readonly component: string,
    readonly value: string,
    reason: string,
  ) {
    super(`refusing ${component} ${JSON.stringify(value)}: ${reason}`);
  }
}

export interface Conflict {
  key: string;
  detail: string;
}

/**
 * Different content is already published under a name. Published files are never replaced
 * (mirrors and users may hold the old bytes); a respin needs a new name. Final.
 */
export class DownloadConflictError extends ClientError {
  override readonly name = 'DownloadConflict';
  constructor(
    readonly conflicts: Conflict[],
    where: string,
  ) {
    super(
      `${where} already holds different content under ${conflicts.length === 1 ? 'this name' : 'these names'}; ` +
        `not overwriting: ${conflicts.map((c) => `${c.key} (${c.detail})`).join('; ')}`,
    );
  }
}

/**
 * The staged file does not match its recorded size or sha256 (it changed or was damaged after
 * it was measured). Publishing again will not help; the file must be staged again. Final.
 */
export class SourceMismatchError extends ClientError {
  override readonly name = 'DownloadSourceMismatch';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`staged file ${path} does not match its facts: ${detail}`);
  }
}

/** The destination itself is wrong (no such bucket, root is not a directory). Final. */
export class TargetMisconfiguredError extends ClientError {
  override readonly name = 'DownloadTargetMisconfigured';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
