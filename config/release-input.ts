// Turns the settings into an image release workflow's input: the family's recipe as it is when
// the run starts (a running release is unaffected by later config edits), the build's name and
// the non-secret settings of each stage. Used by the CLI, the schedules and the tests.
import type { BuildName, ImageKind } from '../domain/build-names';
import type { FamilySpec, ImageReleaseInput } from '../domain/image-release';
import type { Config } from './schema';

export class UnknownFamilyError extends Error {
  override name = 'UnknownFamilyError';
}

export function familySpec(config: Config, familyName: string): FamilySpec {
  const f = config.families.find((x) => x.name === familyName);
  if (!f) {
    throw new UnknownFamilyError(`family: no family named "${familyName}"; configured: ${config.families.map((x) => x.name).join(', ')}`);
  }
  return {
    name: f.name,
    subvariant: f.subvariant,
    koji: f.koji,
    target: f.target ?? config.koji.defaultTarget,
    arches: f.arches,
    outputs: f.outputs,
    destinations: f.destinations,
  };
}

export function releaseInput(
  config: Config,
  req: { family: string; release: string; kind: ImageKind; name: BuildName; repos?: string[]; scratch?: boolean },
): ImageReleaseInput {
  return {
    family: familySpec(config, req.family),
    release: req.release,
    kind: req.kind,
    name: req.name,
    ...(req.repos && req.repos.length > 0 ? { repos: req.repos } : {}),
    scratch: req.scratch ?? true,
    settings: {
      kojiPoll: config.koji.poll,
      taskQueues: config.temporal.taskQueues,
      ec2: {
        sourceRegion: config.aws.sourceRegion,
        regions: config.aws.regions,
        maxConcurrentRegions: config.aws.maxConcurrentRegions,
        deprecateNightliesAfterDays: config.aws.nightlyDeprecateAfterDays,
      },
      glance: { region: config.openstack.region, visibility: config.openstack.visibility },
      bus: { rawhideRelease: config.bus.rawhideRelease },
    },
  };
}
