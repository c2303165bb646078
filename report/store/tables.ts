// Row shapes of the catalogue's tables, as Kysely sees them. Times are ISO 8601 UTC strings
// (`2026-11-22T04:00:00.000Z`) in both databases: they sort as text and need no driver quirks.
import type { DestinationState, DestinationType, ImageKind, ImageStatus } from '../model';

export interface ImagesTable {
  /** imageId(key): family:release:arch:version. */
  id: string;
  family: string;
  release: string;
  arch: string;
  kind: ImageKind;
  version: string;
  compose_id: string | null;
  build_id: string | null;
  koji_task_id: number | null;
  subvariant: string | null;
  name: string | null;
  status: ImageStatus;
  created_at: string;
  updated_at: string;
}

export interface DestinationsTable {
  image_id: string;
  type: DestinationType;
  location: string;
  ref: string;
  url: string | null;
  sha256: string | null;
  size: number | null;
  ftype: string | null;
  state: DestinationState;
  detail: string | null;
  created_at: string;
  updated_at: string;
}

/** Every applied message id: a replay finds its id here and changes nothing. */
export interface MessagesTable {
  message_id: string;
  topic: string;
  sent_at: string;
  received_at: string;
}

/** One line per change a message made to an image: the image's history. */
export interface ImageEventsTable {
  image_id: string;
  message_id: string;
  seq: number;
  at: string;
  topic: string;
  summary: string;
}

export interface OfficialReleasesTable {
  release: string;
  version: string | null;
  marked_at: string;
  marked_by: string | null;
  note: string | null;
  message_id: string | null;
}

export interface CatalogueDatabase {
  images: ImagesTable;
  destinations: DestinationsTable;
  messages: MessagesTable;
  image_events: ImageEventsTable;
  official_releases: OfficialReleasesTable;
}
