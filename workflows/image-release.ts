// One image release: build in Koji, then per arch — on one worker host — fetch, verify, convert
// and publish to every destination of the family. Destinations are isolated: one failing never
// loses the others' results, and the release reports (and announces) each outcome.
import { ApplicationFailure, patched, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ImageReleaseInput } from '../domain/image-release';
import { buildFinishedV1, imageCompleteV1 } from '../domain/messages';
import { describeInputProblems, INVALID_RELEASE_INPUT, releaseInputProblems } from '../domain/release-input-check';
import { KojiFailureType } from '../domain/failures';
import { Arches, FedoraRelease, ImageFamily, ImageKind } from '../domain/search-attributes';
import { announce, identity } from './announce';
import { runArchPipeline, type ArchResult } from './arch-pipeline';
import { knownDestinationIds } from './destinations/registry';
import { describeFailure } from './failures';
import { runKojiBuild, type BuildOutcome } from './koji-build-stage';
import { ProgressTracker } from './progress';

export interface ImageReleaseResult {
  workflowId: string;
  status: 'completed' | 'canceled-in-koji';
  kojiTaskId: number;
  outcome?: 'published' | 'partial' | 'failed';
  arches: ArchResult[];
}

export async function imageReleaseWorkflow(input: ImageReleaseInput): Promise<ImageReleaseResult> {
  // First, before any command: refuse input the CLI and the schedules would have refused (a
  // program that starts this workflow directly), naming each field, so no Koji task is made.
  // A valid input issues no command here, so recorded histories replay unchanged. The patch
  // marker is taken only on refusal: a release already running with such input before this
  // check existed replays without the marker and goes on as it did.
  const problems = releaseInputProblems(input, knownDestinationIds());
  if (problems.length > 0 && patched('release-input-check-v1')) {
    throw ApplicationFailure.create({ message: describeInputProblems(problems), type: INVALID_RELEASE_INPUT, nonRetryable: true, details: [problems] });
  }
  const { workflowId } = workflowInfo();
  upsertSearchAttributes([
    { key: FedoraRelease, value: input.release },
    { key: ImageFamily, value: input.family.name },
    { key: ImageKind, value: input.kind },
    { key: Arches, value: input.family.arches },
  ]);
  // A one-line summary for the Temporal UI's list. Added after releases were already running:
  // `patched` keeps their recorded histories replaying (test/replay proves it).
  if (patched('memo-summary-v1')) upsertMemo({ summary: releaseSummary(input) });
  const progress = new ProgressTracker(input.family.arches);

  const build = await announcedBuild(input, progress);
  if (build.status === 'canceled') {
    progress.stage('canceled in Koji');
    return { workflowId, status: 'canceled-in-koji', kojiTaskId: build.taskId, arches: [] };
  }

  progress.stage('publishing');
  const arches = await Promise.all(build.images.map((image) => runArchPipeline({ workflowId, image, input, progress })));

  const destinations = arches.flatMap((a) =>
    input.family.destinations.map((destination) => {
      const outcome = a.destinations[destination];
      if (!outcome) return { destination, architecture: a.arch, status: 'skipped' as const, error: 'not run for this arch' };
      if (!outcome.ok) return { destination, architecture: a.arch, status: outcome.skipped ? ('skipped' as const) : ('failed' as const), error: outcome.error };
      return { destination, architecture: a.arch, status: 'published' as const, ...outcome.details };
    }),
  );
  const ok = destinations.filter((d) => d.status === 'published').length;
  const outcome = destinations.length === 0 || ok === destinations.length ? 'published' : ok === 0 ? 'failed' : 'partial';
  if (destinations.length > 0) await announce(imageCompleteV1, { ...identity(input), outcome, destinations });
  progress.stage(outcome === 'published' ? 'done' : `done (${outcome})`);
  return { workflowId, status: 'completed', kojiTaskId: build.taskId, outcome, arches };
}

export function releaseSummary(input: ImageReleaseInput): string {
  return `${input.family.name} ${input.release} ${input.kind} ${input.name.version}-${input.name.label} (${input.family.arches.join(', ')} -> ${input.family.destinations.join(', ')})`;
}


/** The build stage, with its end announced on the bus whatever it was. */
async function announcedBuild(input: ImageReleaseInput, progress: ProgressTracker): Promise<BuildOutcome> {
  let build: BuildOutcome;
  try {
    build = await runKojiBuild(input, progress);
  } catch (err) {
    const taskId = progress.snapshot().kojiTaskId;
    if (taskId !== undefined && err instanceof ApplicationFailure && err.type === KojiFailureType.BuildFailed) {
      await announce(buildFinishedV1, {
        ...identity(input),
        koji_task_id: taskId,
        koji_state: 'FAILED',
        arches: input.family.arches,
        files: [],
        error: describeFailure(err),
      });
    }
    throw err;
  }
  await announce(buildFinishedV1, {
    ...identity(input),
    koji_task_id: build.taskId,
    koji_state: build.status === 'built' ? 'CLOSED' : 'CANCELED',
    arches: input.family.arches,
    files: build.status === 'built' ? build.images.map((i) => ({ arch: i.arch, name: i.file, size: i.size, ...(i.sha256 ? { sha256: i.sha256 } : {}) })) : [],
    ...(build.status === 'built' && build.kojiBuild ? { koji_build: { id: build.kojiBuild.id, nvr: build.kojiBuild.nvr } } : {}),
  });
  return build;
}
