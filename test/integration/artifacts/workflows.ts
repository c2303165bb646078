// Test-only workflowsPath for the re-staging tests: one arch through the real arch pipeline
// (stage, convert, publish to the download server), without the Koji build in front of it.
import { workflowInfo } from '@temporalio/workflow';
import type { BuiltImage, ImageReleaseInput } from '../../../domain/image-release';
import { runArchPipeline, type ArchResult } from '../../../workflows/arch-pipeline';
import { ProgressTracker } from '../../../workflows/progress';

export async function archPipelineWorkflow(args: { image: BuiltImage; input: ImageReleaseInput }): Promise<ArchResult> {
  const progress = new ProgressTracker([args.image.arch]);
  return runArchPipeline({ workflowId: workflowInfo().workflowId, image: args.image, input: args.input, progress });
}
