// The image release workflow's input and result. The input is everything the workflow needs to
// be deterministic: the family's build recipe resolved from the settings file when the run was
// started, the build's name, and the non-secret settings of each stage. Credentials never appear
// here: workers read them from their own environment.
import type { Arch } from './arches';
import type { BuildName, ImageKind } from './build-names';
import type { DestinationId } from './destinations';

export type { Arch };
/** What the artifact stage makes of a disk image (domain/image-types.ts `disk-conversions`). */
export type OutputFormat = 'qcow2' | 'raw.tar.xz';
export type Destination = DestinationId;

export type KojiRecipe =
  | { kind: 'kiwi'; descriptionScm: string; descriptionPath: string; profile: string; bundleNameFormat?: string }
  | {
      kind: 'oz';
      kickstartScm: string;
      kickstart: string;
      installTree: string;
      formats: string[];
      diskSizeGiB: number;
      distro: string;
    }
  | { kind: 'livecd' | 'appliance'; kickstartScm: string; kickstart: string };

export interface FamilySpec {
  name: string;
  subvariant: string;
  koji: KojiRecipe;
  target: string;
  arches: Arch[];
  outputs: OutputFormat[];
  destinations: Destination[];
}

export interface StageSettings {
  kojiPoll: { initialSeconds: number; maxSeconds: number };
  taskQueues: { orchestration: string; files: string };
  ec2?: { sourceRegion: string; regions: string[]; maxConcurrentRegions: number; deprecateNightliesAfterDays?: number };
  glance?: { region: string; visibility: 'public' | 'private' | 'shared' | 'community' };
  /** The integer messages carry for Rawhide (Fedora's schemas need an integer release). */
  bus: { rawhideRelease: number };
  /** Host-affine file work. Optional (inputs of runs started before it have none): a host whose
   *  queue nobody polls for `lostHostAfterSeconds` (default 600) is lost, and the image is
   *  staged again on another host. */
  staging?: { lostHostAfterSeconds?: number };
}

export interface ImageReleaseInput {
  family: FamilySpec;
  release: string;
  kind: ImageKind;
  name: BuildName;
  /** Extra package repositories for RC/respin builds. */
  repos?: string[];
  scratch: boolean;
  settings: StageSettings;
}

export interface KojiTaskRef {
  taskId: number;
  /** True when a retried submission found the task an earlier attempt had created. */
  adopted: boolean;
}

/** One arch's image as Koji built it: which file to fetch and what it must hash to. */
export interface BuiltImage {
  arch: Arch;
  childTaskId: number;
  file: string;
  size: number;
  /** From kiwi's checksum file when there is one; otherwise verified by size only at fetch. */
  sha256?: string;
  /** The Koji build this image belongs to (non-scratch builds only; scratch builds make none). */
  kojiBuild?: KojiBuildRef;
}

/** A Koji build record, as the hub names it: `name-version-release` and its build id. */
export interface KojiBuildRef {
  id: number;
  nvr: string;
}

export type StageState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface ArchProgress {
  arch: Arch;
  stage: string;
  fetchedBytes?: number;
  totalBytes?: number;
  /** By destination id (domain/destinations.ts). */
  destinations: Record<string, { state: StageState; detail?: string } | undefined>;
}

export interface ReleaseProgress {
  stage: string;
  kojiTaskId?: number;
  kojiState?: string;
  arches: ArchProgress[];
}
