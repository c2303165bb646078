// Turns the settings into an image release workflow's input: the family's recipe as it is when
// the run starts (a running release is unaffected by later config edits), the build's name and
// the non-secret settings of each stage. `checkReleaseRequest` is the one door a request goes
// through before anything is started (the CLI's `build`, the schedules): it checks every field
// against the rules in domain/request-rules.ts and the config, and returns either the input or
// ALL the problems, each naming its field and the fix.
import { imageWorkflowId, releaseVersion, scheduledBuildName, type BuildName, type ImageKind } from '../domain/build-names';
import type { FamilySpec, ImageReleaseInput } from '../domain/image-release';
import { releaseInputProblems } from '../domain/release-input-check';
import {
  amiNameProblems,
  archProblems,
  exampleLabel,
  kindProblem,
  kojiNameProblem,
  normalizeRelease,
  regionProblems,
  releaseProblem,
  repoProblem,
  scmProblem,
  singleArchProblem,
  type FieldProblem,
} from '../domain/request-rules';
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

/** The input for an already-checked request (tests and the schedules' template use it directly). */
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
      ...(config.staging.lostHostAfterSeconds !== undefined ? { staging: { lostHostAfterSeconds: config.staging.lostHostAfterSeconds } } : {}),
    },
  };
}

/**
 * What an operator or a schedule asks for. Problems name fields as `fedimg build` spells its
 * options (family, release, kind, label, version, repo, arch, region, scm), or the config path
 * with " (config)" when the fix is in the settings file.
 */
export interface ReleaseRequest {
  family?: string;
  release?: string;
  kind?: string;
  /** Koji's release field; nightly and weekly default to the one `now` gives. */
  label?: string;
  /** Koji's version; default the release number, or Rawhide. */
  version?: string;
  repos?: string[];
  /** Build only these of the family's arches (an operator respinning one arch). */
  arches?: string[];
  /** Publish only to these of the configured EC2 regions (and the source region, always). */
  regions?: string[];
  /** RC/respin: build this kiwi description (kickstart for Oz/livecd) instead of the family's. */
  scm?: string;
  scratch?: boolean;
}

export interface CheckedRelease {
  input: ImageReleaseInput;
  name: BuildName;
  workflowId: string;
}

export type ReleaseRequestResult = { ok: true; release: CheckedRelease } | { ok: false; problems: FieldProblem[] };

export function checkReleaseRequest(config: Config, req: ReleaseRequest, now: Date): ReleaseRequestResult {
  const problems: FieldProblem[] = [];
  const push = (p: FieldProblem | undefined) => void (p && problems.push(p));
  const names = config.families.map((f) => f.name);

  let familyIndex = -1;
  if (!req.family) problems.push({ field: 'family', message: 'missing', fix: `give --family with one of ${names.join(', ')}` });
  else {
    familyIndex = names.indexOf(req.family);
    if (familyIndex < 0) problems.push({ field: 'family', message: `no family named "${req.family}"`, fix: `use one of ${names.join(', ')} (families[].name in the config)` });
  }
  const family = familyIndex >= 0 ? config.families[familyIndex] : undefined;
  const at = `families[${familyIndex}]`;

  if (req.release === undefined || req.release === '') problems.push({ field: 'release', message: 'missing', fix: 'give --release with a release number such as 44, or "rawhide"' });
  else push(releaseProblem(req.release, 'release'));
  const release = req.release ? normalizeRelease(req.release) : undefined;

  if (req.kind === undefined || req.kind === '') problems.push({ field: 'kind', message: 'missing', fix: 'give --kind nightly|weekly|rc|respin' });
  else push(kindProblem(req.kind, 'kind'));
  const kind = kindProblem(req.kind, 'kind') ? undefined : (req.kind as ImageKind);

  let label = req.label === '' ? undefined : req.label;
  if (label === undefined) {
    if ((kind === 'nightly' || kind === 'weekly') && release) label = scheduledBuildName(kind, release, now).label;
    else if (kind === 'rc' || kind === 'respin') {
      problems.push({ field: 'label', message: `${kind === 'rc' ? 'an' : 'a'} ${kind} build needs a label (Koji's release field)`, fix: `give --label, e.g. --label ${exampleLabel(kind)}` });
    }
  } else push(kojiNameProblem(label, 'label', 'label', exampleLabel(kind ?? 'rc')));
  const version = req.version === undefined || req.version === '' ? (release ? releaseVersion(release) : undefined) : req.version;
  if (req.version) push(kojiNameProblem(req.version, 'version', 'version', '44 or 44_Beta'));

  (req.repos ?? []).forEach((r) => push(repoProblem(r, 'repo')));

  if (family) {
    const subject = family.koji.kind === 'kiwi' ? 'kiwi description' : 'kickstart';
    const configScm = family.koji.kind === 'kiwi' ? family.koji.descriptionScm : family.koji.kickstartScm;
    const scmKey = family.koji.kind === 'kiwi' ? 'descriptionScm' : 'kickstartScm';
    if (req.scm !== undefined) {
      if (kind === 'nightly' || kind === 'weekly') {
        problems.push({
          field: 'scm',
          message: `a ${kind} build cannot override the ${subject}`,
          fix: `leave out --scm (${kind} builds use ${at}.koji.${scmKey} in the config) or use --kind rc or respin`,
        });
      } else push(scmProblem(req.scm, 'scm', subject));
    } else push(scmProblem(configScm, `${at}.koji.${scmKey} (config)`, subject));

    const archBad = archProblems(req.arches, family, 'arch', `${at}.arches (config)`);
    problems.push(...archBad);
    const chosen = req.arches && req.arches.length > 0 ? req.arches : undefined;
    if (archBad.length === 0) push(singleArchProblem(family.koji.kind, chosen ?? family.arches, chosen ? 'arch' : `${at}.arches (config)`));

    if (req.regions !== undefined && req.regions.length > 0) {
      if (!family.destinations.includes('ec2')) {
        problems.push({ field: 'region', message: `family ${family.name} does not publish to EC2 (destinations: ${family.destinations.join(', ')})`, fix: 'leave out --region, or build a family whose destinations include "ec2"' });
      } else problems.push(...regionProblems(req.regions, config.aws.regions, 'region'));
    }

    const namesOk = !problems.some((p) => p.field === 'label' || p.field === 'version');
    if (namesOk && label !== undefined && version !== undefined && family.destinations.includes('ec2')) {
      const arches = req.arches && req.arches.length > 0 ? req.arches : family.arches;
      problems.push(...amiNameProblems({ family: family.name, version, label, arches }, req.version ? 'label, version' : 'label'));
    }
  }

  if (problems.length > 0 || !family || !release || !kind || label === undefined || version === undefined) return { ok: false, problems };

  const name: BuildName = { version, label };
  const input = releaseInput(config, { family: family.name, release, kind, name, ...(req.repos ? { repos: req.repos } : {}), ...(req.scratch !== undefined ? { scratch: req.scratch } : {}) });
  if (req.arches && req.arches.length > 0) input.family.arches = [...new Set(req.arches)] as FamilySpec['arches'];
  if (req.regions && req.regions.length > 0 && input.settings.ec2) {
    // The source region always goes with them: the image is registered there and copied from
    // there, and left unpublished it would linger as a private AMI no later run would touch.
    input.settings.ec2 = { ...input.settings.ec2, regions: [...new Set([input.settings.ec2.sourceRegion, ...req.regions])] };
  }
  if (req.scm !== undefined) {
    input.family.koji = input.family.koji.kind === 'kiwi' ? { ...input.family.koji, descriptionScm: req.scm } : { ...input.family.koji, kickstartScm: req.scm };
  }
  // The workflow's own first-step check, run here too: a request this function lets through
  // must never be one the workflow refuses after it was started.
  const late = releaseInputProblems(input);
  if (late.length > 0) return { ok: false, problems: late };
  return { ok: true, release: { input, name, workflowId: imageWorkflowId(family.name, release, name) } };
}
