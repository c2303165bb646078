// One image release: build in Koji, then per arch — on one worker host — fetch, verify, convert
// and publish to every destination of the family. Destinations are isolated: one failing never
// loses the others' results, and the release reports each outcome.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ImageReleaseInput } from '../domain/image-release';
import { Arches, FedoraRelease, ImageFamily, ImageKind } from '../domain/search-attributes';
import { runArchPipeline, type ArchResult } from './arch-pipeline';
import { runKojiBuild } from './koji-build-stage';
import { ProgressTracker } from './progress';

export interface ImageReleaseResult {
  workflowId: string;
  status: 'completed' | 'canceled-in-koji';
  kojiTaskId: number;
  arches: ArchResult[];
}

export async function imageReleaseWorkflow(input: ImageReleaseInput): Promise<ImageReleaseResult> {
  const { workflowId } = workflowInfo();
  upsertSearchAttributes([
    { key: FedoraRelease, value: input.release },
    { key: ImageFamily, value: input.family.name },
    { key: ImageKind, value: input.kind },
    { key: Arches, value: input.family.arches },
  ]);
  const progress = new ProgressTracker(input.family.arches);

  const build = await runKojiBuild(input, progress);
  if (build.status === 'canceled') {
    progress.stage('canceled in Koji');
    return { workflowId, status: 'canceled-in-koji', kojiTaskId: build.taskId, arches: [] };
  }

  progress.stage('publishing');
  const arches = await Promise.all(build.images.map((image) => runArchPipeline(workflowId, image, input, progress)));
  progress.stage('done');
  return { workflowId, status: 'completed', kojiTaskId: build.taskId, arches };
}
