// The destinations an image can be published to, as data: the one list config, messages,
// workflows, workers and the catalogue derive from. Each layer has a table keyed by these ids
// (workflows/destinations, workers/destinations.ts, report/ingest/destinations) typed
// `Record<DestinationId, ...>`, so adding an id here makes the compiler name every place that
// still lacks its part, and test/unit/destinations/completeness.test.ts checks the rest (its
// client folder, its config section, its messages, its failure types).
//
// The order matters: the arch pipeline starts the family's destinations in this order, and
// recorded histories (test/fixtures/histories) hold the commands in it. A new destination goes
// at the end.
import type { Arch } from './arches';
import type { FailureStageId } from './failures';
import type { ImageTypeId } from './image-types';

export interface DestinationSpec {
  /** How people name it in messages and errors. */
  title: string;
  /** A short capitalised name for lists and notes (the catalogue's history). */
  label: string;
  /** Image types it can publish (domain/image-types.ts). */
  accepts: readonly ImageTypeId[];
  /** Arches it runs; absent: every arch. */
  arches?: readonly Arch[];
  /** The section of temporal.config.ts that holds its settings. */
  configSection: string;
  /** clients/<folder>: the code that talks to it. */
  clientFolder: string;
  /** Schema names of the messages it announces (domain/messages). */
  messages: readonly string[];
  /** Its failure types (domain/failures). */
  failureStage: FailureStageId;
  /** The catalogue's name for its entries (stored in the catalogue's database: do not rename). */
  catalogueType: string;
}

export const DESTINATIONS = {
  downloads: {
    title: 'the download server',
    label: 'Download',
    accepts: ['disk-image', 'iso', 'vagrant-box', 'vhd', 'gce-tarball', 'container-archive', 'wsl-tarball'],
    configSection: 'downloads',
    clientFolder: 'downloads',
    messages: ['fedimg.files.published.v1'],
    failureStage: 'downloads',
    catalogueType: 'download',
  },
  glance: {
    title: 'Glance',
    label: 'Glance',
    accepts: ['disk-image'],
    configSection: 'openstack',
    clientFolder: 'openstack',
    messages: ['fedimg.glance.published.v1'],
    failureStage: 'glance',
    catalogueType: 'glance',
  },
  ec2: {
    title: 'EC2',
    label: 'EC2',
    accepts: ['disk-image'],
    arches: ['x86_64', 'aarch64'],
    configSection: 'aws',
    clientFolder: 'aws',
    messages: ['fedora_image_uploader.published.v1.aws'],
    failureStage: 'ec2',
    catalogueType: 'ec2',
  },
} as const satisfies Record<string, DestinationSpec>;

export type DestinationId = keyof typeof DESTINATIONS;
export const DESTINATION_IDS = Object.keys(DESTINATIONS) as DestinationId[];

export function isDestinationId(value: unknown): value is DestinationId {
  return typeof value === 'string' && Object.hasOwn(DESTINATIONS, value);
}

/** The catalogue's names of the destinations, in the same order. */
export type CatalogueDestinationType = (typeof DESTINATIONS)[DestinationId]['catalogueType'];
export const CATALOGUE_DESTINATION_TYPES = DESTINATION_IDS.map((id) => DESTINATIONS[id].catalogueType) as [CatalogueDestinationType, ...CatalogueDestinationType[]];

/** The destination whose catalogue entries carry `catalogueType`. */
export function destinationOfCatalogueType(catalogueType: string): DestinationId | undefined {
  return DESTINATION_IDS.find((id) => DESTINATIONS[id].catalogueType === catalogueType);
}
