// Retention of nightly Glance images (scheduled): per family, list the images carrying this
// project's tag, let domain/glance-retention decide which expired nightlies go (release, RC,
// respin and weekly images, images Glance marks protected and images without our tag are never
// touched; the newest `keepLatest` of each release + arch stay however old), then delete each
// one and announce it on the bus. A dry run only returns the plan.
//
// Deleted, not hidden first: Glance has no deprecation date a user sees (EC2 does, hence the
// EC2 retention's stages), `os_hidden` only drops an image from default listings while it still
// boots by id, and a nightly is superseded by the next one the following day. Instances already
// booted from a deleted image keep running (Nova keeps its own copy); only a new boot of that
// exact id fails, which is what an expired nightly should do.
//
// Families are isolated: one whose listing fails is reported and the others go on; one image
// whose deletion fails is reported and the others go on.
import { ApplicationFailure, proxyActivities, setHandler, defineQuery, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { GlanceRetentionActivities } from '../activities/glance-retention';
import { planGlanceNightlyRetention, type GlanceRetentionDeletion } from '../domain/glance-retention';
import { ImageStage } from '../domain/search-attributes';
import { rootCause } from './failures';
import { announceRetention } from './retention-announce';

export interface GlanceRetentionInput {
  /** The families to prune, with the subvariant their messages carry. */
  families: Array<{ name: string; subvariant: string }>;
  olderThanDays: number;
  /** Newest images kept per family + release + arch whatever their age. Default 1. */
  keepLatest?: number;
  dryRun: boolean;
  /**
   * Measure ages as of this ISO time instead of the workflow's clock: "what would go next week".
   * Unset for scheduled runs.
   */
  asOf?: string;
  /** Announce each deletion as fedimg.retention.action.v1; unset: announce nothing. */
  announce?: { region: string; rawhideRelease: number };
  retry?: { initialIntervalMs?: number; maximumAttempts?: number };
}

export interface GlanceRetentionActionResult extends GlanceRetentionDeletion {
  family: string;
  outcome: 'planned' | 'deleted' | 'already gone' | 'failed';
  error?: string;
  /** The bus message id of the announcement, when one was sent. */
  messageId?: string;
  /** Why no announcement was sent for a deleted image (e.g. its properties lack the release). */
  announceError?: string;
}

export interface GlanceRetentionResult {
  dryRun: boolean;
  /** ISO time the ages were measured from. */
  now: string;
  olderThanDays: number;
  actions: GlanceRetentionActionResult[];
  kept: Array<{ family: string; imageId: string; name: string; reason: string }>;
  familyErrors: Array<{ family: string; error: string }>;
}

export interface GlanceRetentionProgress {
  stage: 'listing' | 'deleting' | 'done';
  planned: number;
  deleted: number;
  failed: number;
  kept: number;
}

export const glanceRetentionProgressQuery = defineQuery<GlanceRetentionProgress>('glanceRetentionProgress');

export async function glanceRetentionWorkflow(input: GlanceRetentionInput): Promise<GlanceRetentionResult> {
  const act = proxyActivities<GlanceRetentionActivities>({
    startToCloseTimeout: '5m',
    retry: { initialInterval: input.retry?.initialIntervalMs ?? 2_000, backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: input.retry?.maximumAttempts ?? 10 },
  });
  const nowMs = input.asOf !== undefined ? Date.parse(input.asOf) : Date.now();
  if (Number.isNaN(nowMs)) throw ApplicationFailure.nonRetryable(`asOf: expected an ISO 8601 time such as 2026-11-22T07:45:00Z, found "${input.asOf}"`, 'BadRetentionInput');
  const result: GlanceRetentionResult = { dryRun: input.dryRun, now: new Date(nowMs).toISOString(), olderThanDays: input.olderThanDays, actions: [], kept: [], familyErrors: [] };
  const progress: GlanceRetentionProgress = { stage: 'listing', planned: 0, deleted: 0, failed: 0, kept: 0 };
  setHandler(glanceRetentionProgressQuery, () => progress);
  const stage = (s: GlanceRetentionProgress['stage']) => {
    progress.stage = s;
    const unlisted = result.familyErrors.length > 0 ? `, ${result.familyErrors.length} families not listed` : '';
    const text = s === 'done' ? (input.dryRun ? `dry run: ${progress.planned} to delete${unlisted}` : `done: ${progress.deleted} deleted, ${progress.failed} failed${unlisted}`) : s;
    upsertSearchAttributes([{ key: ImageStage, value: text }]);
  };
  stage('listing');

  const plans: Array<{ family: GlanceRetentionInput['families'][number]; deletions: GlanceRetentionDeletion[] }> = [];
  for (const family of input.families) {
    try {
      const { tag, images } = await act.listGlanceRetentionImages({ family: family.name });
      const plan = planGlanceNightlyRetention(images, { tag, family: family.name, olderThanDays: input.olderThanDays, keepLatest: input.keepLatest ?? 1, nowMs });
      result.kept.push(...plan.kept.map((k) => ({ family: family.name, ...k })));
      plans.push({ family, deletions: plan.deletions });
      progress.planned += plan.deletions.length;
      progress.kept += plan.kept.length;
    } catch (err) {
      result.familyErrors.push({ family: family.name, error: rootCause(err).message });
    }
  }

  if (!input.dryRun) stage('deleting');
  for (const { family, deletions } of plans) {
    for (const d of deletions) {
      const entry: GlanceRetentionActionResult = { ...d, family: family.name, outcome: 'planned' };
      result.actions.push(entry);
      if (input.dryRun) continue;
      try {
        entry.outcome = (await act.deleteExpiredGlanceImage({ imageId: d.imageId, family: family.name })).outcome;
        progress.deleted += 1;
      } catch (err) {
        entry.outcome = 'failed';
        entry.error = rootCause(err).message;
        progress.failed += 1;
        continue;
      }
      // "already gone" is announced too: the catalogue must learn the image is gone either way,
      // and the message id is the same as a first announcement's (consumers deduplicate).
      if (input.announce) await announceRemoval(entry, family.subvariant, input.announce);
    }
  }

  stage('done');
  upsertMemo({ retention: { destination: 'glance', dryRun: input.dryRun, planned: progress.planned, deleted: progress.deleted, failed: progress.failed } });
  return result;
}

async function announceRemoval(entry: GlanceRetentionActionResult, subvariant: string, bus: NonNullable<GlanceRetentionInput['announce']>): Promise<void> {
  const sent = await announceRetention(
    {
      action: 'removed',
      destination: 'glance',
      family: entry.family,
      subvariant,
      release: entry.release,
      composeId: entry.buildId,
      arch: entry.arch,
      region: bus.region,
      resourceId: entry.imageId,
      resourceName: entry.name,
      reason: entry.reason,
    },
    bus.rawhideRelease,
  );
  if ('messageId' in sent) entry.messageId = sent.messageId;
  else entry.announceError = sent.error;
}
