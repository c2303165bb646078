// Errors of the image stage. Each has a stable `name` (the activity uses it as the Temporal
// failure type) and a message that says what is wrong and what to do about it.
//
// Two families: the image itself is wrong (format, corruption, size) -> retrying cannot help;
// this host could not do the work (disk full, a tool died, an output failed its check) -> another
// attempt, perhaps on another host, may succeed.
import { ClientError } from '../client-error';

/** The input is not an image we accept (wrong format, name and content disagree, backing file). */
export class ImageFormatError extends ClientError {
  override readonly name = 'ImageFormatError';
}

/** The input claims a format but its data is damaged (corrupt or truncated xz, broken qcow2). */
export class ImageCorruptError extends ClientError {
  override readonly name = 'ImageCorruptError';
}

/** The image's virtual size is above the configured limit; found before any conversion. */
export class ImageTooLargeError extends ClientError {
  override readonly name = 'ImageTooLargeError';
  constructor(
    message: string,
    readonly virtualSize: number,
    readonly limit: number,
  ) {
    super(message);
  }
}

/** The staging file system ran out of space (ENOSPC); partial files were removed. */
export class DiskFullError extends ClientError {
  override readonly name = 'DiskFullError';
  constructor(
    message: string,
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A tool (qemu-img, xz, tar) failed for a reason not recognised as one of the above. */
export class ToolFailedError extends ClientError {
  override readonly name = 'ToolFailedError';
  override readonly retryable: boolean = true;
  constructor(
    message: string,
    readonly tool: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** An output we wrote did not pass its check (qemu-img check, tar listing, sizes). */
export class OutputInvalidError extends ClientError {
  override readonly name = 'OutputInvalidError';
  override readonly retryable: boolean = true;
}

/** The caller asked for something impossible (bad id or name, source inside the outputs). */
export class ArtifactRequestError extends ClientError {
  override readonly name = 'ArtifactRequestError';
}

export type ImageStageError =
  | ImageFormatError
  | ImageCorruptError
  | ImageTooLargeError
  | DiskFullError
  | ToolFailedError
  | OutputInvalidError
  | ArtifactRequestError;

/** Errors that describe the image or the request: another attempt would fail the same way. */
export function isPermanentImageError(err: unknown): boolean {
  return (
    err instanceof ImageFormatError ||
    err instanceof ImageCorruptError ||
    err instanceof ImageTooLargeError ||
    err instanceof ArtifactRequestError
  );
}

export function isEnospc(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
}
