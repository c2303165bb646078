// What an image release may be asked for: release, kind, names, arches, EC2 regions, the SCM
// URL, extra repos. Each rule returns the problems it finds as { field, message, fix } — the field
// as the caller names it (a `fedimg build` option, a config path, an input path), the message
// quoting what was given, the fix saying what to write instead. Pure and deterministic: the
// build request (config/release-input.ts), the schedules and the release workflow's first step
// (domain/release-input-check.ts) all use these, so the three never disagree.
import { IMAGE_KINDS, LABEL_PATTERN, type ImageKind } from './build-names';
import { amiName, amiNameProblem, ec2ArchOf, REGION_RE } from './ec2';
import { ARCHES, type Arch } from './arches';
import { DESTINATIONS, isDestinationId, type DestinationSpec } from './destinations';
import type { Destination } from './image-release';
import { scmUrlExample, scmUrlProblem, type ScmSubject } from './scm-url';

export interface FieldProblem {
  /** Where the bad value is, in the caller's terms: "label", "families[0].arches (config)", "settings.ec2.regions[1]". */
  field: string;
  /** What is wrong, quoting the value. */
  message: string;
  /** What to write instead, in one sentence. */
  fix: string;
}

/** "field: problem; fix" — one line an operator reads. */
export function problemLine(p: FieldProblem): string {
  return `${p.field}: ${p.message}; ${p.fix}`;
}

/** Every arch Fedora builds images for (domain/arches.ts). */
export const FEDORA_ARCHES: readonly Arch[] = ARCHES;

// ---------------------------------------------------------------------------------------------
// Release and kind

/** "rawhide" (any case) or a release number without leading zeros; undefined for anything else. */
export function normalizeRelease(raw: string): string | undefined {
  if (/^rawhide$/i.test(raw)) return 'rawhide';
  if (/^0*[1-9]\d{0,3}$/.test(raw)) return String(Number(raw));
  return undefined;
}

export function releaseProblem(raw: string | undefined, field = 'release'): FieldProblem | undefined {
  if (raw === undefined || raw === '') return { field, message: 'missing', fix: 'give a release number such as 44, or "rawhide"' };
  if (normalizeRelease(raw) !== undefined) return undefined;
  return { field, message: `"${raw}" is not a Fedora release`, fix: 'give a number such as 44, or "rawhide"' };
}

export function kindProblem(raw: string | undefined, field = 'kind', allowed: readonly string[] = IMAGE_KINDS): FieldProblem | undefined {
  if (raw === undefined || raw === '') return { field, message: 'missing', fix: `give one of ${allowed.join(', ')}` };
  if (allowed.includes(raw)) return undefined;
  return { field, message: `"${raw}" is not a build kind`, fix: `use one of ${allowed.join(', ')}` };
}

// ---------------------------------------------------------------------------------------------
// Names: Koji's version/release and the AMI name derived from them

export function exampleLabel(kind: ImageKind | string): string {
  return kind === 'rc' ? '1.7' : kind === 'respin' ? '20261122.0' : kind === 'nightly' ? '20261122.n.0' : kind === 'weekly' ? '20261123.weekly' : '1.7';
}

const LABEL_CHARS = 'letters, digits and . _ + ~ only';

function badChars(value: string, allowed: RegExp): string {
  return [...new Set([...value].filter((c) => !allowed.test(c)))].map((c) => JSON.stringify(c)).join(' ');
}

/**
 * The build's label (Koji's NVR "release") or version. Koji refuses "-" in either
 * (koji/__init__.py _check_NVR: 'The "-" character not allowed in release field'), since "-"
 * separates the fields of name-version-release; whitespace breaks the file names kiwi makes
 * (`kiwi-ng result bundle --id <release>`, reference/fedora-images.md). We allow what Fedora's
 * labels use and rpm accepts in a release: letters, digits, ".", "_", "+", "~".
 */
export function kojiNameProblem(value: string | undefined, field: string, what: 'label' | 'version', example: string): FieldProblem | undefined {
  if (value === undefined || value === '') return { field, message: 'missing', fix: `give one, e.g. ${example}` };
  if (LABEL_PATTERN.test(value)) return undefined;
  return { field, message: `${JSON.stringify(value)} has characters Koji refuses in a ${what} (${badChars(value, LABEL_PATTERN)})`, fix: `use ${LABEL_CHARS}, e.g. ${example}` };
}

/**
 * The AMI names this release would register (one per EC2 arch), checked by EC2's rule
 * (domain/ec2.ts amiNameProblem: 3–128 characters of letters, digits, ( ) [ ] space . / - ' @ _;
 * RegisterImage's `Name` constraint in the EC2 API reference), so a long label fails here and
 * not after hours of building and uploading.
 */
export function amiNameProblems(p: { family: string; version: string; label: string; arches: readonly string[] }, field: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const arch of p.arches.filter((a) => ec2ArchOf(a) !== undefined)) {
    const name = amiName({ buildName: `Fedora-${p.family}`, arch, version: p.version, release: p.label });
    const problem = amiNameProblem(name);
    if (problem) out.push({ field, message: `the AMI name it gives is refused by EC2: ${problem}`, fix: 'use a shorter label of letters, digits and . _ only' });
  }
  return out.slice(0, 1);
}

// ---------------------------------------------------------------------------------------------
// Arches

export interface FamilyArches {
  name: string;
  arches: readonly string[];
  destinations: readonly Destination[];
}

/**
 * Arches a build may restrict itself to: Fedora arches the family builds, and for each of the
 * family's destinations that runs only some arches (domain/destinations.ts `arches`), only those. `configField` names the family's arches in the config,
 * for the fix that needs a config change.
 */
export function archProblems(requested: readonly string[] | undefined, family: FamilyArches, field: string, configField: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  const restricting = requested !== undefined && requested.length > 0;
  const arches = restricting ? requested : family.arches;
  for (const a of new Set(arches)) {
    if (!(FEDORA_ARCHES as readonly string[]).includes(a)) {
      out.push({ field: restricting ? field : configField, message: `"${a}" is not an architecture Fedora builds`, fix: `use one of ${FEDORA_ARCHES.join(', ')}` });
    } else if (restricting && !family.arches.includes(a)) {
      out.push({ field, message: `family ${family.name} does not build ${a}`, fix: `choose from its arches (${family.arches.join(', ')}) or add ${a} to ${configField}` });
    }
  }
  if (out.length > 0) return out;
  for (const id of family.destinations) {
    const spec: DestinationSpec | undefined = isDestinationId(id) ? DESTINATIONS[id] : undefined;
    const runs = spec?.arches;
    const outside = runs ? [...new Set(arches)].filter((a) => !(runs as readonly string[]).includes(a)) : [];
    if (!runs || outside.length === 0) continue;
    out.push({
      field: restricting ? field : configField,
      message: `family ${family.name} publishes to ${spec?.title ?? id}, which runs only ${runs.join(' and ')}, but the build would include ${outside.join(', ')}`,
      fix: `leave those arches out (${runs.map((a) => `--arch ${a}`).join(' ')}) or drop "${id}" from the family's destinations`,
    });
  }
  return out;
}

/** Koji's buildImage (livecd, appliance) takes one arch, where kiwi and Oz take a list. */
export function singleArchProblem(kojiKind: string, arches: readonly string[], field: string): FieldProblem | undefined {
  if ((kojiKind !== 'livecd' && kojiKind !== 'appliance') || new Set(arches).size === 1) return undefined;
  return { field, message: `a ${kojiKind} build makes one arch (Koji's buildImage takes one), not ${arches.join(', ')}`, fix: 'build one arch per release, e.g. --arch x86_64' };
}

// ---------------------------------------------------------------------------------------------
// EC2 regions

/** Levenshtein distance, small strings only: suggests the configured region a typo meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function nearest(value: string, candidates: readonly string[]): string | undefined {
  const best = candidates.map((c) => ({ c, d: distance(value, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? best.c : undefined;
}

/**
 * Regions an operator names (a build restricted to some regions, `retry-regions`): each must be
 * an AWS region name (us-east-1, ap-southeast-2; domain/ec2.ts REGION_RE) AND one of the regions
 * the config publishes to (aws.regions). "eu-west1" or "EU-west-1" fail the first; "eu-westt-1"
 * (shaped like a region) and "eu-west-3" (a real region we do not publish to) fail the second.
 * The shape is all we check offline: whether AWS has the region is the EC2 preflight's question
 * (DescribeRegions), asked for the configured regions before anything is created.
 */
export function regionProblems(regions: readonly string[], configured: readonly string[], field: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const r of new Set(regions)) {
    const guess = nearest(r, configured);
    if (!REGION_RE.test(r)) {
      out.push({ field, message: `"${r}" is not an AWS region name`, fix: `${guess ? `did you mean ${guess}? ` : ''}write it like eu-west-1; configured: ${configured.join(', ')}` });
    } else if (!configured.includes(r)) {
      out.push({ field, message: `${r} is not one of the configured regions`, fix: `use one of ${configured.join(', ')} (aws.regions in the config)${guess ? `; did you mean ${guess}?` : ''}` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SCM URL and repos

export function scmProblem(url: string | undefined, field: string, subject: ScmSubject): FieldProblem | undefined {
  if (url === undefined || url === '') return { field, message: 'missing', fix: `give a git URL at a commit, e.g. ${scmUrlExample('', subject)}` };
  const problem = scmUrlProblem(url);
  if (!problem) return undefined;
  return {
    field,
    message: `"${url}" ${problem}; Koji must build the ${subject} from a git URL at a commit`,
    fix: `pin it to the full 40-hex commit hash, e.g. ${scmUrlExample(url, subject)}`,
  };
}

export function repoProblem(url: string, field: string): FieldProblem | undefined {
  if (/^https?:\/\/[^\s/?#]+[^\s]*$/.test(url)) return undefined;
  return { field, message: `"${url}" is not an http(s) URL`, fix: "give the repository's base URL, e.g. https://kojipkgs.fedoraproject.org/repos/f44-build/latest/$arch/" };
}
