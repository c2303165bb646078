// The image release workflow's first step: every problem in its input that can be seen without
// the config, each named by its path in the input (`name.label`, `family.arches`,
// `settings.ec2.regions[2]`). The CLI and the schedules check the request against the config
// before starting anything (config/release-input.ts); this catches a program that starts the
// workflow directly with input they would have refused, before any activity runs — no Koji task,
// nothing uploaded. It must never throw on a malformed input: a TypeError inside a workflow
// would fail the workflow task and retry forever instead of failing the release.
import { IMAGE_KINDS } from './build-names';
import { DESTINATION_IDS } from './destinations';
import type { Destination } from './image-release';
import { REGION_RE } from './ec2';
import { amiNameProblems, archProblems, kojiNameProblem, problemLine, releaseProblem, repoProblem, scmProblem, singleArchProblem, type FieldProblem } from './request-rules';

/** The failure type a refused input fails the release with (non-retryable). */
export const INVALID_RELEASE_INPUT = 'InvalidReleaseInput';

const FAMILY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const START_IT = 'start releases with `fedimg build` or the schedules, which check the request against the config';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `knownDestinations`: the ids the running code can publish to (the workflow passes its registry's). */
export function releaseInputProblems(input: unknown, knownDestinations: readonly string[] = DESTINATION_IDS): FieldProblem[] {
  if (!isObject(input)) return [{ field: '(input)', message: 'the release input is not an object', fix: START_IT }];
  const out: FieldProblem[] = [];
  const push = (p: FieldProblem | undefined) => void (p && out.push(p));

  const releaseBad =
    input.release === undefined || typeof input.release === 'string'
      ? releaseProblem(input.release, 'release')
      : { field: 'release', message: `${JSON.stringify(input.release)} is not a string`, fix: 'give the release as a string: "44" or "rawhide"' };
  push(releaseBad);
  // Names and workflow ids are built from it: "044" or "Rawhide" would name a second release.
  if (!releaseBad && typeof input.release === 'string' && input.release !== input.release.toLowerCase().replace(/^0+/, '')) {
    out.push({ field: 'release', message: `"${input.release}" is not written the canonical way`, fix: 'write "rawhide" or the number without leading zeros, e.g. 44' });
  }
  if (!(IMAGE_KINDS as readonly unknown[]).includes(input.kind)) {
    out.push({ field: 'kind', message: `${JSON.stringify(input.kind)} is not a build kind`, fix: `use one of ${IMAGE_KINDS.join(', ')}` });
  }
  const kind = str(input.kind) ?? 'rc';

  const name = isObject(input.name) ? input.name : undefined;
  if (!name) out.push({ field: 'name', message: 'missing', fix: 'give { version, label }, e.g. { version: "44", label: "1.7" }' });
  push(kojiNameProblem(str(name?.label), 'name.label', 'label', kind === 'rc' ? '1.7' : kind === 'respin' ? '20261122.0' : kind === 'weekly' ? '20261123.weekly' : '20261122.n.0'));
  push(kojiNameProblem(str(name?.version), 'name.version', 'version', '44, Rawhide or 44_Beta'));

  const family = isObject(input.family) ? input.family : undefined;
  if (!family) {
    out.push({ field: 'family', message: 'missing', fix: START_IT });
    return out;
  }
  const familyName = str(family.name);
  if (!familyName || !FAMILY_NAME.test(familyName)) {
    out.push({ field: 'family.name', message: `${JSON.stringify(family.name)} is not a family name`, fix: 'use letters, digits, ".", "_" or "-" (families[].name in the config)' });
  }
  const destinations = isStringArray(family.destinations) ? family.destinations : [];
  if (family.destinations !== undefined && !isStringArray(family.destinations)) {
    out.push({ field: 'family.destinations', message: 'not a list of destination names', fix: `give some of ${knownDestinations.join(', ')}` });
  }
  destinations.forEach((d, i) => {
    if (!knownDestinations.includes(d)) out.push({ field: `family.destinations[${i}]`, message: `"${d}" is not a destination`, fix: `use one of ${knownDestinations.join(', ')} (families[].destinations in the config)` });
  });
  if (!isStringArray(family.arches) || family.arches.length === 0) {
    out.push({ field: 'family.arches', message: 'no arches to build', fix: 'give at least one, e.g. ["x86_64"]' });
  } else {
    out.push(...archProblems(family.arches, { name: familyName ?? '?', arches: family.arches, destinations: destinations as Destination[] }, 'family.arches', 'family.arches'));
    if (new Set(family.arches).size !== family.arches.length) out.push({ field: 'family.arches', message: `${JSON.stringify(family.arches)} names an arch twice`, fix: 'name each arch once' });
  }

  const koji = isObject(family.koji) ? family.koji : undefined;
  if (!koji) out.push({ field: 'family.koji', message: 'missing', fix: START_IT });
  else if (koji.kind === 'kiwi') push(scmProblem(str(koji.descriptionScm), 'family.koji.descriptionScm', 'kiwi description'));
  else push(scmProblem(str(koji.kickstartScm), 'family.koji.kickstartScm', 'kickstart'));
  if (koji && isStringArray(family.arches) && family.arches.length > 0) push(singleArchProblem(String(koji.kind), family.arches, 'family.arches'));

  if (input.repos !== undefined) {
    if (!isStringArray(input.repos)) out.push({ field: 'repos', message: 'not a list of URLs', fix: 'give a list of http(s) repository URLs' });
    else input.repos.forEach((r, i) => push(repoProblem(r, `repos[${i}]`)));
  }

  if (destinations.includes('ec2')) {
    const settings = isObject(input.settings) ? input.settings : undefined;
    const ec2 = isObject(settings?.ec2) ? settings.ec2 : undefined;
    if (!ec2) out.push({ field: 'settings.ec2', message: `family ${familyName ?? '?'} publishes to EC2 but the input has no EC2 settings`, fix: START_IT });
    else {
      const regions = ec2.regions;
      if (!isStringArray(regions) || regions.length === 0) out.push({ field: 'settings.ec2.regions', message: 'no regions to publish to', fix: 'give at least one region, e.g. ["us-east-1"]' });
      else {
        regions.forEach((r, i) => {
          if (!REGION_RE.test(r)) out.push({ field: `settings.ec2.regions[${i}]`, message: `"${r}" is not an AWS region name`, fix: 'write it like eu-west-1' });
        });
        if (new Set(regions).size !== regions.length) out.push({ field: 'settings.ec2.regions', message: `${JSON.stringify(regions)} names a region twice`, fix: 'name each region once' });
      }
      const source = str(ec2.sourceRegion);
      if (!source || !REGION_RE.test(source)) out.push({ field: 'settings.ec2.sourceRegion', message: `${JSON.stringify(ec2.sourceRegion)} is not an AWS region name`, fix: 'write it like us-east-1' });
    }
    const label = str(name?.label);
    const version = str(name?.version);
    if (familyName && label && version && isStringArray(family.arches) && out.every((p) => !p.field.startsWith('name.'))) {
      out.push(...amiNameProblems({ family: familyName, version, label, arches: family.arches }, 'name.label'));
    }
  }
  return out;
}

/** One message naming every problem: the release's failure text. */
export function describeInputProblems(problems: readonly FieldProblem[]): string {
  const head = `the release input has ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return `${head}: ${problems.map(problemLine).join(' | ')}`;
}
