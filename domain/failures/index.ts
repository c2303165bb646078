// Every stage's failure types in one place, each with whether it is final (no retry can fix it).
// Activities fail with these types; workflows' retry policies take their non-retryable lists from
// here and branch on the constants, never on strings of their own. A new destination adds a file
// beside these and one line to FAILURE_STAGES (the destination table names its stage).
import { BUS_NON_RETRYABLE, BusFailureType } from './bus';
import { DOWNLOAD_NON_RETRYABLE, DownloadFailureType } from './downloads';
import { GLANCE_NON_RETRYABLE, GlanceFailureType } from './glance';
import { KOJI_NON_RETRYABLE, KojiFailureType } from './koji';
import { STAGING_NON_RETRYABLE, StagingFailureType } from './staging';
import { EC2_NON_RETRYABLE, Ec2FailureType } from '../ec2-errors';

export { BusFailureType, DownloadFailureType, GlanceFailureType, KojiFailureType, StagingFailureType, Ec2FailureType };
export { BUS_NON_RETRYABLE, DOWNLOAD_NON_RETRYABLE, GLANCE_NON_RETRYABLE, KOJI_NON_RETRYABLE, STAGING_NON_RETRYABLE, EC2_NON_RETRYABLE };

/** Failures of the release as a whole, the workflows' own verdicts. */
export const ReleaseFailureType = {
  /** The input breaks a rule the CLI and the schedules check (domain/release-input-check). */
  InvalidInput: 'InvalidReleaseInput',
  /** A family names a destination whose settings the release input lacks. */
  DestinationNotConfigured: 'DestinationNotConfigured',
} as const;
const RELEASE_NON_RETRYABLE: readonly string[] = Object.values(ReleaseFailureType);

export interface FailureStage {
  types: Readonly<Record<string, string>>;
  nonRetryable: readonly string[];
}

export const FAILURE_STAGES = {
  release: { types: ReleaseFailureType, nonRetryable: RELEASE_NON_RETRYABLE },
  koji: { types: KojiFailureType, nonRetryable: KOJI_NON_RETRYABLE },
  staging: { types: StagingFailureType, nonRetryable: STAGING_NON_RETRYABLE },
  downloads: { types: DownloadFailureType, nonRetryable: DOWNLOAD_NON_RETRYABLE },
  glance: { types: GlanceFailureType, nonRetryable: GLANCE_NON_RETRYABLE },
  ec2: { types: Ec2FailureType, nonRetryable: EC2_NON_RETRYABLE },
  bus: { types: BusFailureType, nonRetryable: BUS_NON_RETRYABLE },
} as const satisfies Record<string, FailureStage>;

export type FailureStageId = keyof typeof FAILURE_STAGES;
