// Retention of nightly AMIs (scheduled): per region, list the images tagged fedimg:managed, let
// domain/ec2-retention decide which expired nightlies to act on (release and RC images, and
// images tagged protected/official, are never touched), then take each through deprecation ->
// loss of public access -> deregistration + snapshot deletion. A dry run only lists the actions.
// Regions are isolated: one failing region is reported and the others go on.
//
// With `announce`, each deprecation and each deregistration is announced on the bus as
// fedimg.retention.action.v1 (deprecated / removed), as the Glance retention announces its
// deletions, so the catalogue stops offering the image. Runs without it (every run started before
// announcements existed) schedule exactly the commands they did, so no patch marker is needed.
//
// Progress for operators (workflows/ec2/retention-progress): the ec2RetentionProgress query, the
// ImageStage search attribute (updated as each region finishes) and a memo at the end. The
// upserts are commands added after runs were recorded, hence patched('ec2-retention-progress-v1').
import { condition, patched, proxyActivities, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { Ec2Activities } from '../../activities/ec2';
import { deprecationTime } from '../../domain/ec2';
import { planRetention, type RetentionAction, type RetentionStep } from '../../domain/ec2-retention';
import { ImageStage } from '../../domain/search-attributes';
import { announceRetention } from '../retention-announce';
import { apiActivityOptions, rootCause, type ActivityRetryInput } from './activity-options';
import { ec2RetentionProgressQuery, ec2RetentionStageText, newEc2RetentionProgress, type Ec2RetentionProgress } from './retention-progress';

/** Patch id: the ImageStage and memo upserts (test/replay holds runs recorded without them). */
const PROGRESS_PATCH = 'ec2-retention-progress-v1';

export interface Ec2RetentionInput {
  olderThanDays: number;
  dryRun: boolean;
  regions: string[];
  /** Days between the stages (see RetentionPolicy); default 0: all stages in one run. */
  stageGapDays?: number;
  maxConcurrentRegions?: number;
  retry?: ActivityRetryInput;
  /** Announce each deprecation and removal; unset: announce nothing. Subvariants by family name. */
  announce?: { subvariants: Record<string, string>; rawhideRelease: number };
}

export interface Ec2RetentionActionResult extends RetentionAction {
  outcome: 'planned' | 'done' | 'failed';
  /** Steps that ran (all of them when done). */
  completed: RetentionStep[];
  error?: string;
  /** Bus message ids of the announcements sent for this image. */
  messageIds?: string[];
  /** Why an announcement was not sent (e.g. the image lacks its FedoraCompose tag). */
  announceErrors?: string[];
}

export interface Ec2RetentionResult {
  dryRun: boolean;
  /** ISO time the ages were measured from. */
  now: string;
  actions: Ec2RetentionActionResult[];
  kept: Array<{ region: string; imageId: string; name: string; reason: string }>;
  regionErrors: Array<{ region: string; error: string }>;
}

export async function ec2RetentionWorkflow(input: Ec2RetentionInput): Promise<Ec2RetentionResult> {
  const act = proxyActivities<Ec2Activities>(apiActivityOptions(input.retry));
  const nowMs = Date.now();
  const result: Ec2RetentionResult = { dryRun: input.dryRun, now: new Date(nowMs).toISOString(), actions: [], kept: [], regionErrors: [] };
  let free = Math.max(1, input.maxConcurrentRegions ?? 4);
  const progress = newEc2RetentionProgress(input.dryRun, input.regions.length);
  // A query issues no command: every run answers it, those started before it existed too.
  setHandler(ec2RetentionProgressQuery, () => progress);
  const reporting = patched(PROGRESS_PATCH);
  const stage = (s: Ec2RetentionProgress['stage']) => {
    progress.stage = s;
    if (reporting) upsertSearchAttributes([{ key: ImageStage, value: ec2RetentionStageText(progress) }]);
  };
  stage('listing');

  const runRegion = async (region: string): Promise<void> => {
    await condition(() => free > 0);
    free -= 1;
    try {
      const images = await act.ec2ListManagedImages({ region });
      const plan = planRetention(images, { nowMs, olderThanDays: input.olderThanDays, stageGapDays: input.stageGapDays ?? 0 });
      const tagsOf = new Map(images.map((i) => [i.imageId, i.tags]));
      result.kept.push(...plan.kept);
      progress.kept += plan.kept.length;
      progress.planned += plan.actions.length;
      if (input.dryRun) progress.plan.push(...plan.actions.map((a) => ({ region, imageId: a.imageId, name: a.name, steps: a.steps })));
      for (const action of plan.actions) {
        const entry: Ec2RetentionActionResult = { ...action, outcome: input.dryRun ? 'planned' : 'done', completed: [] };
        result.actions.push(entry);
        if (input.dryRun) continue;
        try {
          for (const step of action.steps) {
            const ref = { region, imageId: action.imageId };
            if (step === 'deprecate') {
              await act.ec2DeprecateImage({ ...ref, deprecateAt: deprecationTime(nowMs, 1 / 1440) });
              progress.deprecated += 1;
            } else if (step === 'make-private') {
              await act.ec2SetImagePublic({ ...ref, snapshotIds: action.snapshotIds, public: false });
              progress.madePrivate += 1;
            } else {
              const gone = await act.ec2DeregisterImage({ ...ref, snapshotIds: action.snapshotIds });
              progress.deregistered += 1;
              progress.snapshotsDeleted += gone?.snapshotsDeleted?.length ?? 0;
            }
            entry.completed.push(step);
            if (input.announce && step !== 'make-private') await announceStep(entry, step, tagsOf.get(action.imageId) ?? {}, { ...input.announce, olderThanDays: input.olderThanDays });
          }
        } catch (err) {
          entry.outcome = 'failed';
          entry.error = rootCause(err).message;
          progress.failed += 1;
        }
      }
    } catch (err) {
      result.regionErrors.push({ region, error: rootCause(err).message });
      progress.regions.failed.push(region);
    } finally {
      free += 1;
      progress.regions.done += 1;
      // The last region's text would be replaced at once by the final one.
      if (progress.regions.done < progress.regions.total) stage('acting');
    }
  };

  await Promise.all(input.regions.map(runRegion));
  stage('done');
  if (reporting) {
    const { planned, deprecated, madePrivate, deregistered, snapshotsDeleted, failed } = progress;
    upsertMemo({ retention: { destination: 'ec2', dryRun: input.dryRun, planned, deprecated, madePrivate, deregistered, snapshotsDeleted, failed, regionErrors: result.regionErrors.length } });
  }
  return result;
}

async function announceStep(
  entry: Ec2RetentionActionResult,
  step: 'deprecate' | 'deregister',
  tags: Record<string, string>,
  bus: NonNullable<Ec2RetentionInput['announce']> & { olderThanDays: number },
): Promise<void> {
  const family = tags.FedoraFamily;
  const sent = await announceRetention(
    {
      action: step === 'deprecate' ? 'deprecated' : 'removed',
      destination: 'ec2',
      family,
      subvariant: family === undefined ? undefined : bus.subvariants[family],
      release: tags.FedoraRelease,
      composeId: tags.FedoraCompose,
      arch: tags.Arch,
      region: entry.region,
      resourceId: entry.imageId,
      resourceName: entry.name,
      reason: `nightly ${entry.ageDays} days old (limit ${bus.olderThanDays})`,
    },
    bus.rawhideRelease,
  );
  if ('messageId' in sent) (entry.messageIds ??= []).push(sent.messageId);
  else (entry.announceErrors ??= []).push(sent.error);
}
