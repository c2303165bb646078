// What an operator sees of a running EC2 retention: the `ec2RetentionProgress` query (regions
// done, images deprecated / made private / deregistered, snapshots deleted, the dry run's plan)
// and a one-line stage in the ImageStage search attribute, as the Glance retention shows its own.
import { defineQuery } from '@temporalio/workflow';
import type { RetentionStep } from '../../domain/ec2-retention';

export interface Ec2RetentionPlannedAction {
  region: string;
  imageId: string;
  name: string;
  steps: RetentionStep[];
}

export interface Ec2RetentionProgress {
  stage: 'listing' | 'acting' | 'done';
  dryRun: boolean;
  regions: { total: number; done: number; failed: string[] };
  /** Images the plan acts on (in a dry run: would act on). */
  planned: number;
  kept: number;
  deprecated: number;
  madePrivate: number;
  deregistered: number;
  snapshotsDeleted: number;
  /** Images whose steps stopped on an error. */
  failed: number;
  /** The dry run's plan, image by image (empty for a real run: its result lists what was done). */
  plan: Ec2RetentionPlannedAction[];
}

export const ec2RetentionProgressQuery = defineQuery<Ec2RetentionProgress>('ec2RetentionProgress');

export function newEc2RetentionProgress(dryRun: boolean, regions: number): Ec2RetentionProgress {
  return { stage: 'listing', dryRun, regions: { total: regions, done: 0, failed: [] }, planned: 0, kept: 0, deprecated: 0, madePrivate: 0, deregistered: 0, snapshotsDeleted: 0, failed: 0, plan: [] };
}

/** The ImageStage text: short enough for the Temporal UI's list column. */
export function ec2RetentionStageText(p: Ec2RetentionProgress): string {
  const unlisted = p.regions.failed.length > 0 ? `, ${p.regions.failed.length} regions not listed` : '';
  if (p.stage === 'listing') return 'listing';
  if (p.dryRun) return `${p.stage === 'done' ? 'dry run' : `dry run, ${p.regions.done}/${p.regions.total} regions`}: ${p.planned} to retire${unlisted}`;
  const counts = `${p.deprecated} deprecated, ${p.madePrivate} made private, ${p.deregistered} deregistered, ${p.snapshotsDeleted} snapshots deleted, ${p.failed} failed`;
  return `${p.stage === 'done' ? 'done' : `${p.regions.done}/${p.regions.total} regions`}: ${counts}${unlisted}`;
}
