// The regions of publishAmiWorkflow: one copyAmiToRegionWorkflow child per region, a few at a
// time, each isolated from the others' failures; then, while failed regions remain, a window in
// which the retryRegions update runs only those again.
import { allHandlersFinished, condition, executeChild, setHandler } from '@temporalio/workflow';
import { protectsFromDeregistration } from '../../domain/ec2';
import { Ec2FailureType } from '../../domain/ec2-errors';
import { rootCause } from './activity-options';
import { copyAmiToRegionWorkflow, type CopyAmiToRegionInput } from './copy-ami-to-region';
import { retryRegionsUpdate, type RegionResult } from './definitions';
import type { PublishContext, SourceImage } from './publish-ami-steps';

export interface RegionFanOut {
  /** Runs every input region once (a few at a time); resolves when each has a result. */
  runAll(): Promise<void>;
  /** Waits up to the retry window for retryRegions updates while regions are failed, then closes. */
  awaitRetriesAndClose(): Promise<void>;
  /** One result per input region, in input order. */
  results(): RegionResult[];
}

/** The child's input for one region: copy (except in the source region), wait, finish, pointer. */
export function regionChildInput(ctx: PublishContext, source: SourceImage, region: string): CopyAmiToRegionInput {
  const { input } = ctx;
  return {
    region,
    sourceRegion: input.sourceRegion,
    sourceImageId: source.imageId,
    ...(region === input.sourceRegion ? { sourceImage: source.image } : {}),
    name: input.name,
    description: ctx.description,
    tags: ctx.tags,
    makePublic: input.makePublic ?? true,
    ...(ctx.deprecateAt ? { deprecateAt: ctx.deprecateAt } : {}),
    ...(protectsFromDeregistration(input.kind) ? { protectFromDeregistration: true } : {}),
    latestParameter: { family: input.family, release: input.release, arch: input.arch, kind: input.kind, buildId: input.buildId },
    clientToken: input.imageKey,
    poll: ctx.imagePoll,
    retry: input.retry ?? {},
  };
}

/** Sets up the fan-out and the retryRegions handler (registered now, as it always was). */
export function regionFanOut(ctx: PublishContext, source: SourceImage): RegionFanOut {
  const { input, progress } = ctx;
  progress.stage = 'regions';
  const results = new Map<string, RegionResult>();
  let free = input.maxConcurrentRegions;
  let active = 0;
  let closing = false;

  const runRegion = async (region: string): Promise<RegionResult> => {
    const p = ctx.regionProgress(region);
    p.status = 'queued';
    delete p.error;
    delete p.errorType;
    active += 1;
    try {
      await condition(() => free > 0);
      free -= 1;
      p.runs += 1;
      p.status = 'running';
      try {
        const out = await executeChild(copyAmiToRegionWorkflow, { workflowId: `${ctx.workflowId}/ec2/${region}`, args: [regionChildInput(ctx, source, region)] });
        const result: RegionResult = { region, amiId: out.amiId, snapshotId: out.snapshotId };
        Object.assign(p, { status: 'done', amiId: out.amiId, snapshotId: out.snapshotId });
        results.set(region, result);
        return result;
      } catch (err) {
        const cause = rootCause(err);
        const result: RegionResult = { region, error: cause.message, ...(cause.type ? { errorType: cause.type } : {}) };
        Object.assign(p, { status: 'failed', error: cause.message, ...(cause.type ? { errorType: cause.type } : {}) });
        results.set(region, result);
        return result;
      } finally {
        free += 1;
      }
    } finally {
      active -= 1;
    }
  };

  let retryEpoch = 0;
  setHandler(
    retryRegionsUpdate,
    async (regions) => {
      retryEpoch += 1;
      return Promise.all(regions.map(runRegion));
    },
    {
      validator: (regions) => {
        if (closing) throw new Error('this publication is finishing; start a new run for these regions');
        if (regions.length === 0) throw new Error('name at least one region');
        for (const r of regions) {
          const p = progress.regions.find((x) => x.region === r);
          if (!p) throw new Error(`${r} is not one of this publication's regions`);
          if (p.status !== 'failed') throw new Error(`${r} is ${p.status}; only failed regions can be retried`);
        }
      },
    },
  );

  return {
    async runAll() {
      await Promise.all(input.regions.map(runRegion));
    },
    async awaitRetriesAndClose() {
      // Each retry restarts the window.
      const window = input.retryWindowMs ?? 3_600_000;
      let seen = retryEpoch;
      while (window > 0 && input.regions.some((r) => ctx.regionProgress(r).status === 'failed')) {
        progress.stage = 'awaiting-retries';
        const asked = await condition(() => retryEpoch !== seen, window);
        if (!asked) break;
        seen = retryEpoch;
        await condition(() => active === 0);
      }
      closing = true;
      await condition(() => active === 0 && allHandlersFinished());
      progress.stage = 'done';
    },
    results: () => input.regions.map((r) => results.get(r) ?? { region: r, error: 'not run', errorType: Ec2FailureType.Transient }),
  };
}
