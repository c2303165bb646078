// Queries and updates of the EC2 workflows, apart from the workflow code so callers (the CLI,
// the image-release workflow, tests) import names and types only.
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** queued: waiting for a slot; running: its child workflow runs (copying, waiting, publishing). */
export type RegionStatus = 'queued' | 'running' | 'copying' | 'waiting' | 'publishing' | 'done' | 'failed';

export interface RegionProgress {
  region: string;
  status: RegionStatus;
  /** Child runs started for this region (1 + retries). */
  runs: number;
  amiId?: string;
  snapshotId?: string;
  error?: string;
  errorType?: string;
}

export type RegionResult =
  | { region: string; amiId: string; snapshotId: string }
  | { region: string; error: string; errorType?: string };

export type PublishStage = 'checking' | 'uploading' | 'waiting-snapshot' | 'registering' | 'waiting-image' | 'regions' | 'awaiting-retries' | 'done';

export interface PublishAmiProgress {
  stage: PublishStage;
  name: string;
  snapshotId?: string;
  sourceImageId?: string;
  /** Upload figures once the snapshot is sent. */
  upload?: { dataBlocks: number; blocksSent: number; bytesSent: number; resumedFrom: string };
  regions: RegionProgress[];
}

export interface CopyRegionProgress {
  region: string;
  status: RegionStatus;
  amiId?: string;
  polls: number;
}

/** Progress of publishAmiWorkflow, per region. */
export const ec2ProgressQuery = defineQuery<PublishAmiProgress>('ec2Progress');

/** Progress of one copyAmiToRegionWorkflow. */
export const ec2RegionProgressQuery = defineQuery<CopyRegionProgress>('ec2RegionProgress');

/**
 * Runs the named failed regions again (only those: done regions are refused by the validator)
 * and returns their new results. Accepted while publishAmiWorkflow waits for retries.
 */
export const retryRegionsUpdate = defineUpdate<RegionResult[], [string[]]>('retryRegions');

export function isRegionFailure(r: RegionResult): r is { region: string; error: string; errorType?: string } {
  return 'error' in r;
}
