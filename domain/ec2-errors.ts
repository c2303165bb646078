// Stable failure types of EC2 publishing. Activities throw ApplicationFailures with these types;
// workflows' retry policies list the final ones as non-retryable, and callers match on them.

export const Ec2FailureType = {
  /** Input refused before anything was created (unsupported arch, bad name, …). */
  InvalidInput: 'Ec2InvalidInput',
  UnsupportedArch: 'Ec2UnsupportedArch',
  BadName: 'Ec2BadImageName',
  UnknownRegion: 'Ec2UnknownRegion',
  SnapshotTooLarge: 'Ec2SnapshotTooLarge',
  /** The staged raw file is not on this host (any more). */
  SourceMissing: 'Ec2SourceMissing',
  /** AWS refused the request for a reason retrying will not change (auth, bad parameter, quota). */
  Rejected: 'Ec2Rejected',
  /** An image or snapshot ended in a failed state. */
  ResourceFailed: 'Ec2ResourceFailed',
  /** Waited longer than the poll policy allows. */
  WaitTimedOut: 'Ec2WaitTimedOut',
  /** The region's "image block public access" forbids public images; the account owner must lift it. */
  PublicSharingBlocked: 'Ec2PublicSharingBlocked',
  /** Throttling, 5xx, network, still-pending states: retried by the activity retry policy. */
  Transient: 'Ec2Transient',
} as const;

export type Ec2FailureTypeName = (typeof Ec2FailureType)[keyof typeof Ec2FailureType];

/** Types no retry can fix. */
export const EC2_NON_RETRYABLE: readonly string[] = [
  Ec2FailureType.InvalidInput,
  Ec2FailureType.UnsupportedArch,
  Ec2FailureType.BadName,
  Ec2FailureType.UnknownRegion,
  Ec2FailureType.SnapshotTooLarge,
  Ec2FailureType.SourceMissing,
  Ec2FailureType.Rejected,
  Ec2FailureType.ResourceFailed,
  Ec2FailureType.WaitTimedOut,
  Ec2FailureType.PublicSharingBlocked,
];

export function failureTypeForReason(reason: 'unsupported-arch' | 'bad-name' | 'unknown-region' | 'invalid-input' | 'snapshot-too-large' | 'source-missing'): Ec2FailureTypeName {
  switch (reason) {
    case 'unsupported-arch':
      return Ec2FailureType.UnsupportedArch;
    case 'bad-name':
      return Ec2FailureType.BadName;
    case 'unknown-region':
      return Ec2FailureType.UnknownRegion;
    case 'snapshot-too-large':
      return Ec2FailureType.SnapshotTooLarge;
    case 'source-missing':
      return Ec2FailureType.SourceMissing;
    default:
      return Ec2FailureType.InvalidInput;
  }
}
