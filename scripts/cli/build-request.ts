// `fedimg build` options -> the image release to start, or a UsageError naming the field and the
// fix. Pure (the clock is a parameter) so every message is unit-tested.
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../config';
import { releaseInput } from '../../config/release-input';
import { ARCHES } from '../../config/schema';
import { IMAGE_KINDS, LABEL_PATTERN, imageWorkflowId, releaseVersion, scheduledBuildName, type BuildName, type ImageKind } from '../../domain/build-names';
import { ec2ArchOf } from '../../domain/ec2';
import type { Arch, ImageReleaseInput } from '../../domain/image-release';
import { Arches, FedoraRelease, ImageFamily, ImageKind as ImageKindAttr } from '../../domain/search-attributes';
import { UsageError } from './errors';

export interface BuildOptions {
  family?: string;
  release?: string;
  kind?: string;
  label?: string;
  version?: string;
  repo?: string[];
  arch?: string[];
  scratch?: boolean;
}

export interface BuildPlan {
  workflowId: string;
  name: BuildName;
  input: ImageReleaseInput;
  taskQueue: string;
  searchAttributes: SearchAttributePair[];
}

/** A git URL pinned to a full commit: git+https://host/repo.git?#<40 hex>. */
export const SCM_AT_COMMIT = /^git(\+https?|\+ssh|\+file)?:\/\/[^\s#]+#[0-9a-f]{40}$/;

const LABEL_CHARS = 'letters, digits and . _ + ~ only';

function badChars(value: string): string {
  return [...new Set([...value].filter((c) => !LABEL_PATTERN.test(c)))].map((c) => JSON.stringify(c)).join(' ');
}

export function parseRelease(raw: string | undefined, field = 'release'): string {
  if (raw === undefined || raw === '') throw new UsageError('missing', { field, fix: 'give --release with a release number such as 44, or "rawhide"' });
  if (/^rawhide$/i.test(raw)) return 'rawhide';
  if (!/^\d+$/.test(raw)) throw new UsageError(`"${raw}" is not a Fedora release`, { field, fix: 'give a number such as 44, or "rawhide"' });
  return String(Number(raw));
}

export function parseKind(raw: string | undefined, allowed: readonly string[] = IMAGE_KINDS, field = 'kind'): ImageKind {
  if (raw === undefined || raw === '') throw new UsageError('missing', { field, fix: `give --kind ${allowed.join('|')}` });
  if (!allowed.includes(raw)) throw new UsageError(`"${raw}" is not a build kind`, { field, fix: `use one of ${allowed.join(', ')}` });
  return raw as ImageKind;
}

function exampleLabel(kind: ImageKind): string {
  return kind === 'rc' ? '1.7' : kind === 'respin' ? '20261122.0' : kind === 'nightly' ? '20261122.n.0' : '20261123.weekly';
}

function checkLabel(value: string, field: 'label' | 'version', kind: ImageKind): void {
  if (!LABEL_PATTERN.test(value)) {
    const example = field === 'label' ? exampleLabel(kind) : '44 or 44_Beta';
    throw new UsageError(`"${value}" has characters Koji refuses in a ${field} (${badChars(value)})`, { field, fix: `use ${LABEL_CHARS}, e.g. ${example}` });
  }
}

function checkScm(config: Config, familyIndex: number): void {
  const koji = config.families[familyIndex]?.koji;
  if (!koji) return;
  const [key, url] = koji.kind === 'kiwi' ? (['descriptionScm', koji.descriptionScm] as const) : (['kickstartScm', koji.kickstartScm] as const);
  if (SCM_AT_COMMIT.test(url)) return;
  const hash = /#([^#]*)$/.exec(url)?.[1];
  const problem =
    hash === undefined
      ? 'names no commit'
      : /^[0-9a-f]+$/.test(hash)
        ? `pins a ${hash.length}-character hash, not a full 40-character commit`
        : `pins "${hash}", a branch or tag, not a commit`;
  throw new UsageError(`"${url}" ${problem}; Koji must build ${koji.kind === 'kiwi' ? 'the kiwi description' : 'the kickstart'} from a git URL at a commit`, {
    field: `families[${familyIndex}].koji.${key} (config)`,
    fix: `pin it to the full 40-hex commit hash, e.g. ${url.replace(/#.*$/, '')}#<commit>`,
  });
}

function checkArches(config: Config, familyIndex: number, requested: string[] | undefined): Arch[] {
  const family = config.families[familyIndex];
  if (!family) return [];
  const configured = family.arches as Arch[];
  const arches = requested && requested.length > 0 ? [...new Set(requested)] : configured;
  for (const a of arches) {
    if (!(ARCHES as readonly string[]).includes(a)) throw new UsageError(`"${a}" is not an architecture Fedora builds`, { field: 'arch', fix: `use one of ${ARCHES.join(', ')}` });
    if (!configured.includes(a as Arch)) {
      throw new UsageError(`family ${family.name} does not build ${a}`, { field: 'arch', fix: `choose from its arches (${configured.join(', ')}) or add ${a} to families[${familyIndex}].arches` });
    }
  }
  if (family.destinations.includes('ec2')) {
    const notEc2 = arches.filter((a) => ec2ArchOf(a) === undefined);
    if (notEc2.length > 0) {
      throw new UsageError(`family ${family.name} publishes to EC2, which runs only x86_64 and aarch64, but the build would include ${notEc2.join(', ')}`, {
        field: requested && requested.length > 0 ? 'arch' : `families[${familyIndex}].arches (config)`,
        fix: 'leave those arches out (--arch x86_64 --arch aarch64) or drop "ec2" from the family\'s destinations',
      });
    }
  }
  return arches as Arch[];
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function planBuild(config: Config, opts: BuildOptions, now: Date): BuildPlan {
  const names = config.families.map((f) => f.name);
  if (!opts.family) throw new UsageError('missing', { field: 'family', fix: `give --family with one of ${names.join(', ')}` });
  const familyIndex = names.indexOf(opts.family);
  if (familyIndex < 0) throw new UsageError(`no family named "${opts.family}"`, { field: 'family', fix: `use one of ${names.join(', ')} (families[].name in the config)` });
  const release = parseRelease(opts.release);
  const kind = parseKind(opts.kind);

  let label = opts.label;
  if (label === undefined || label === '') {
    if (kind === 'nightly' || kind === 'weekly') label = scheduledBuildName(kind, release, now).label;
    else throw new UsageError(`${kind === 'rc' ? 'an' : 'a'} ${kind} build needs a label (Koji's release field)`, { field: 'label', fix: `give --label, e.g. --label ${exampleLabel(kind)}` });
  }
  checkLabel(label, 'label', kind);
  const version = opts.version === undefined || opts.version === '' ? releaseVersion(release) : opts.version;
  checkLabel(version, 'version', kind);

  for (const r of opts.repo ?? []) {
    if (!isHttpUrl(r)) throw new UsageError(`"${r}" is not an http(s) URL`, { field: 'repo', fix: 'give the repository\'s base URL, e.g. https://kojipkgs.fedoraproject.org/repos/f44-build/latest/$arch/' });
  }

  checkScm(config, familyIndex);
  const arches = checkArches(config, familyIndex, opts.arch);

  const name: BuildName = { version, label };
  const input = releaseInput(config, {
    family: opts.family,
    release,
    kind,
    name,
    ...(opts.repo ? { repos: opts.repo } : {}),
    ...(opts.scratch !== undefined ? { scratch: opts.scratch } : {}),
  });
  input.family.arches = arches;
  return {
    workflowId: imageWorkflowId(opts.family, release, name),
    name,
    input,
    taskQueue: config.temporal.taskQueues.orchestration,
    searchAttributes: [
      { key: FedoraRelease, value: release },
      { key: ImageFamily, value: opts.family },
      { key: ImageKindAttr, value: kind },
      { key: Arches, value: arches },
    ],
  };
}
