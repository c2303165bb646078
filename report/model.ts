// The catalogue's own vocabulary, independent of the bus's message schemas: ingest translates
// every accepted message into a CatalogueEvent (a list of changes), the store applies it, and the
// HTTP side reads ImageViews back. Pure types and small functions, no I/O.
import { CATALOGUE_DESTINATION_TYPES, type CatalogueDestinationType } from '../domain/destinations';

/** The pipeline's build kinds, plus `release`: a candidate once its release is marked official. */
export const IMAGE_KINDS = ['nightly', 'weekly', 'rc', 'respin', 'release'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

/** `built` (Koji finished), `publishing` (some destination reported), then the image-complete verdict. */
export const IMAGE_STATUSES = ['built', 'publishing', 'complete', 'partial', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** domain/destinations.ts's catalogueType of each destination (the downloads are `download`). */
export const DESTINATION_TYPES = CATALOGUE_DESTINATION_TYPES;
export type DestinationType = CatalogueDestinationType;

/** `deprecated` stays usable (an EC2 deprecation date passed); `removed` is gone everywhere. */
export const DESTINATION_STATES = ['published', 'failed', 'deprecated', 'removed'] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];

/** Destinations in these states can be used by people, so they make an image "current". */
export const USABLE_STATES: readonly DestinationState[] = ['published', 'deprecated'];

/** One image = one family, release, architecture and version (a Koji build's output for one arch). */
export interface ImageKey {
  family: string;
  /** "rawhide" or a release number such as "44". */
  release: string;
  arch: string;
  /** The build's version-release: "20261122.n.0", "44-1.7", "42_Beta-1.4". */
  version: string;
}

/** What a message may tell about an image; absent fields leave what the store knows untouched. */
export interface ImageFacts {
  kind?: ImageKind;
  composeId?: string;
  /** Koji build NVR or id. */
  buildId?: string;
  kojiTaskId?: number;
  subvariant?: string;
  /** Human name such as the AMI name or the file's base name. */
  name?: string;
  status?: ImageStatus;
}

export interface DestinationInput {
  type: DestinationType;
  /** EC2: the region; Glance: the cloud region; download: the file name. Unique per image and type. */
  location: string;
  /** EC2: AMI id; Glance: image id; download: the file name. */
  ref: string;
  url?: string;
  sha256?: string;
  size?: number;
  /** Download format: qcow2, raw.tar.xz, CHECKSUM… */
  ftype?: string;
  state: DestinationState;
  detail?: string;
}

export type CatalogueChange =
  | { type: 'image'; image: ImageKey; facts: ImageFacts; note?: string }
  | { type: 'destination'; image: ImageKey; facts?: ImageFacts; destination: DestinationInput; note?: string }
  | {
      /** Retention: every destination of the image (or of one type, or one location) changes state. */
      type: 'destination-state';
      image: ImageKey;
      destinationType?: DestinationType;
      location?: string;
      state: DestinationState;
      detail?: string;
      note?: string;
    }
  | {
      /** The release is official; with a version, those images (of one family, if named) become kind "release". */
      type: 'official';
      release: string;
      family?: string;
      version?: string;
      markedBy?: string;
      note?: string;
    };

export interface CatalogueEvent {
  /** The bus message id: the store applies each id once. */
  messageId: string;
  topic: string;
  /** When the sender says it happened (ISO 8601); falls back to the receive time. */
  at: string;
  changes: CatalogueChange[];
}

export interface DestinationView {
  type: DestinationType;
  location: string;
  ref: string;
  url: string | null;
  sha256: string | null;
  size: number | null;
  ftype: string | null;
  state: DestinationState;
  detail: string | null;
  updatedAt: string;
  /** EC2 only: the console's launch wizard for this AMI in its region. */
  launchUrl?: string;
}

export interface ImageView {
  id: string;
  family: string;
  release: string;
  arch: string;
  kind: ImageKind;
  version: string;
  composeId: string | null;
  buildId: string | null;
  kojiTaskId: number | null;
  subvariant: string | null;
  name: string | null;
  status: ImageStatus;
  /** The release was marked official (and, when a version was named, this is that version). */
  official: boolean;
  createdAt: string;
  updatedAt: string;
  destinations: DestinationView[];
}

export interface ImageEventView {
  at: string;
  messageId: string;
  topic: string;
  summary: string;
}

export interface OfficialRelease {
  release: string;
  version: string | null;
  markedAt: string;
  markedBy: string | null;
  note: string | null;
}

/** Stable, readable image id: the natural key joined by ":" (none of its parts may hold one). */
export function imageId(key: ImageKey): string {
  return `${key.family}:${key.release}:${key.arch}:${key.version}`;
}

/** Characters allowed in each part of an image key (and so in an id and a URL path segment). */
export const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

export function isValidKey(key: ImageKey): boolean {
  return [key.family, key.release, key.arch, key.version].every((p) => KEY_PART.test(p));
}

/** Kind from the version's shape when a message does not say: Pungi's nightly / dated / labelled composes. */
export function inferKind(version: string): ImageKind {
  if (/(^|[-.])\d{8}\.n\.\d+$/.test(version)) return 'nightly';
  if (/(^|[-.])\d{8}\.(weekly|\d+)$/.test(version)) return 'weekly';
  return 'rc';
}

export function ec2LaunchUrl(region: string, amiId: string): string {
  return `https://${region}.console.aws.amazon.com/ec2/home?region=${encodeURIComponent(region)}#LaunchInstances:ami=${encodeURIComponent(amiId)}`;
}

/** Releases newest first, rawhide on top. */
export function compareReleases(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'rawhide') return -1;
  if (b === 'rawhide') return 1;
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return nb - na;
  return a < b ? -1 : 1;
}

/** Byte-wise (LANG=C) order, as simplestreams sorts version keys. */
export function compareC(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
