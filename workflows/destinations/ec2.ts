// EC2: a child workflow per image (workflows/ec2/publish-ami.ts) makes the snapshot from the raw
// staged on this host, registers the AMI and runs one child per region; Fedora's own
// fedora_image_uploader.published.v1.aws names every region that has it.
import { ApplicationFailure, executeChild } from '@temporalio/workflow';
import { composeId } from '../../domain/build-names';
import { amiName } from '../../domain/ec2';
import { ReleaseFailureType } from '../../domain/failures';
import { awsPublishedV1, messageRelease } from '../../domain/messages';
import { announce } from '../announce';
import { publishAmiWorkflow, type PublishAmiResult } from '../ec2';
import { isRegionFailure } from '../ec2/definitions';
import { defineDestination } from './types';

export const ec2Destination = defineDestination<PublishAmiResult>({
  id: 'ec2',
  publish(ctx) {
    const { input, image } = ctx;
    const ec2 = input.settings.ec2;
    if (!ec2) throw ApplicationFailure.nonRetryable('the release input has no EC2 settings', ReleaseFailureType.DestinationNotConfigured);
    return executeChild(publishAmiWorkflow, {
      // `<release id>/ec2/<arch>`: the CLI's retry-regions finds the children by this prefix.
      workflowId: `${ctx.workflowId}/ec2/${image.arch}`,
      args: [
        {
          imageKey: ctx.imageKey,
          rawPath: ctx.artifacts.raw.path,
          hostTaskQueue: ctx.staged.hostTaskQueue,
          arch: image.arch,
          release: input.release,
          family: input.family.name,
          kind: input.kind,
          buildId: composeId(input.release, input.name),
          kojiTaskId: image.childTaskId,
          name: amiName({ buildName: `Fedora-${input.family.name}`, arch: image.arch, version: input.name.version, release: input.name.label }),
          sourceRegion: ec2.sourceRegion,
          regions: ec2.regions,
          maxConcurrentRegions: ec2.maxConcurrentRegions,
          ...(input.kind === 'nightly' && ec2.deprecateNightliesAfterDays ? { deprecateAfterDays: ec2.deprecateNightliesAfterDays } : {}),
        },
      ],
    });
  },
  async announce(ctx, result) {
    const { input, image } = ctx;
    if (Object.keys(result.published).length > 0) {
      await announce(awsPublishedV1, {
        architecture: image.arch,
        compose_id: composeId(input.release, input.name),
        image_name: result.name,
        regions: result.published,
        release: messageRelease(input.release, input.settings.bus.rawhideRelease),
        subvariant: input.family.subvariant,
      });
    }
    // The child finished, so the destination is "done", but not everywhere: say where it failed.
    if (result.failedRegions.length > 0) ctx.progress.destination(image.arch, 'ec2', 'failed', `failed regions: ${result.failedRegions.join(', ')}`);
  },
  details(result) {
    const failed = Object.fromEntries(result.regions.filter(isRegionFailure).map((r) => [r.region, r.error]));
    return {
      image_name: result.name,
      ...(Object.keys(result.published).length > 0 ? { regions: result.published } : {}),
      ...(Object.keys(failed).length > 0 ? { failed_regions: failed } : {}),
    };
  },
});
