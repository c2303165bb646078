// Stable failure types of the staging stages (fetch onto a host, convert there). Activities throw
// ApplicationFailures with these types; the arch pipeline's retry policies list the final ones
// and branch on the host-level ones. One list for both stages, so the same fault has one name
// whichever stage meets it: an image over the size limit is `ImageTooLargeError` whether the
// fetch sees Koji's declared size or the conversion sees the virtual size, and a full staging
// disk is `DiskFullError` whether the download or qemu-img ran out of room.
//
// The values equal the `name` of the client errors they come from (clients/images/errors,
// clients/fetch/errors; test/unit/failure-types checks it), so an activity can pass a client
// error's name through unchanged.

export const StagingFailureType = {
  // The image or the request is wrong: no retry, on any host, can help.
  /** Above staging.maxImageBytes: Koji's declared size (fetch) or the virtual size (conversion). */
  ImageTooLarge: 'ImageTooLargeError',
  ImageFormat: 'ImageFormatError',
  ImageCorrupt: 'ImageCorruptError',
  ArtifactRequest: 'ArtifactRequestError',
  /** The fetched bytes are not the ones Koji built (size or sha256). */
  DownloadVerification: 'DownloadVerificationError',
  /** Koji answers 404/410/403 for the file. */
  DownloadNotFound: 'DownloadNotFoundError',
  /** Koji's file name has `/`, `..` or control characters. */
  BadFileName: 'BadFileName',

  // This host cannot do it: final on this host, the arch pipeline stages the image elsewhere.
  /** The host's staging file system has no room (before or during the fetch, or converting).
   *  The fetch adds details [{ hostId, hostTaskQueue }]: it runs on the shared queue, so only
   *  the failure can say which host to avoid (the conversion's host is the one that staged). */
  DiskFull: 'DiskFullError',

  // Retryable, possibly on another host.
  ToolFailed: 'ToolFailedError',
  OutputInvalid: 'OutputInvalidError',
  /** This host is on the stage call's `avoidHosts` list: it hands the task back to the queue. */
  HostAvoided: 'StagingHostAvoided',

  // The workflow's own verdict (an arch's failure, not an activity's).
  /** Every host the pipeline could try was lost or full. */
  NoStagingHost: 'NoStagingHost',
} as const;

export type StagingFailureTypeName = (typeof StagingFailureType)[keyof typeof StagingFailureType];

/** Names workers before the alignment threw (fetch: 'ImageTooLarge', 'StagingDiskFull'). An
 *  activity of an older worker version still in flight may end with one of them, so retry
 *  policies and the workflow's checks keep recognising them. */
export const LegacyStagingFailureType = {
  ImageTooLarge: 'ImageTooLarge',
  StagingDiskFull: 'StagingDiskFull',
} as const;

/** Types no retry on the same host can fix; for the staging activities' retry policies. */
export const STAGING_NON_RETRYABLE: readonly string[] = [
  StagingFailureType.ImageTooLarge,
  StagingFailureType.ImageFormat,
  StagingFailureType.ImageCorrupt,
  StagingFailureType.ArtifactRequest,
  StagingFailureType.DownloadVerification,
  StagingFailureType.DownloadNotFound,
  StagingFailureType.BadFileName,
  StagingFailureType.DiskFull,
  LegacyStagingFailureType.ImageTooLarge,
  // Was retryable on the shared queue, which could send the retry to the same full host again
  // and again; now the workflow re-stages elsewhere (bounded by its host count) instead.
  LegacyStagingFailureType.StagingDiskFull,
];

/** A staging disk without room, under the current or the old name. */
export function isDiskFullType(type: string | undefined | null): boolean {
  return type === StagingFailureType.DiskFull || type === LegacyStagingFailureType.StagingDiskFull;
}

/** What a DiskFull failure says about where it happened. */
export interface HostFailureDetails {
  hostId: string;
  hostTaskQueue: string;
}

export function hostFailureDetails(details: readonly unknown[] | undefined | null): HostFailureDetails | undefined {
  const d = details?.[0] as Partial<HostFailureDetails> | undefined;
  return d && typeof d.hostId === 'string' && typeof d.hostTaskQueue === 'string' ? { hostId: d.hostId, hostTaskQueue: d.hostTaskQueue } : undefined;
}

/** How long a host on the avoid list waits before its refusal is retried. Which poller takes the
 *  retried task is Temporal's matching's choice: each retry lands on a random partition of the
 *  queue, so a given idle host gets roughly one chance in three or four per retry, whatever the
 *  delay (measured on the dev server with worker processes: the other host took it after about
 *  three refusals, with 2 s as with 15 s between them). So many quick retries, not a few slow
 *  ones; the stage call for a re-staging allows RESTAGE_MAX_ATTEMPTS. */
export function avoidedHostRetryDelayMs(attempt: number): number {
  return ([1, 2][attempt - 1] ?? 5) * 1000;
}

/** Attempts of a re-staging stage call (refusals by avoided hosts count): with the delays above,
 *  about three minutes before the arch gives up, and a vanishing chance that an idle host was
 *  never offered the task. */
export const RESTAGE_MAX_ATTEMPTS = 40;
