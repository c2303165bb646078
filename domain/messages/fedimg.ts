// The pipeline's own topics (app name "fedimg"). Each is announced once per event; the catalogue
// service and anyone else on the bus consume them. Topic = schema name + a suffix for filtering.
// Every body repeats the image's identity (common.ts imageIdentity) so each message stands alone.
import { z } from 'zod';
import {
  amiId,
  architecture,
  awsRegion,
  httpsUrl,
  imageIdentity,
  safeName,
  SEVERITY,
  sha256Hex,
  topicWord,
} from './common';
import { defineMessageType } from './message-type';

// A string, not an enum of today's destinations: a v1 schema whose enum grew with every new
// destination would make older consumers refuse the messages of newer publishers.
const destination = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a destination id')
  .describe('The destination (domain/destinations.ts): downloads, glance, ec2, or one added since.');

// ---- build finished -------------------------------------------------------------------------

export const buildFinishedV1Body = z
  .object({
    ...imageIdentity,
    koji_task_id: z.number().int().positive().describe('The Koji parent task of the image build.'),
    koji_state: z.enum(['CLOSED', 'FAILED', 'CANCELED']).describe("Koji's final task state."),
    arches: z.array(architecture).min(1),
    files: z
      .array(
        z.object({
          arch: architecture,
          name: z.string().min(1).describe('File name in the task output (never a path).'),
          size: z.number().int().nonnegative().optional(),
          sha256: sha256Hex.optional(),
        }),
      )
      .describe('The image files the build produced, per arch; empty when it failed.'),
    error: z.string().optional().describe("Koji's fault string when the task failed."),
    koji_build: z
      .object({ id: z.number().int().positive(), nvr: z.string().min(1) })
      .optional()
      .describe('The Koji build a non-scratch task made (scratch builds have none).'),
  })
  .describe('An image build task in Koji has finished.');

export const buildFinishedV1 = defineMessageType({
  schemaName: 'fedimg.build.finished.v1',
  topicPattern: 'fedimg.build.finished.v1.<family>.<release>',
  title: 'Image build finished',
  description: 'A Koji image build finished (closed, failed or canceled).',
  body: buildFinishedV1Body,
  topic: (b) => `fedimg.build.finished.v1.${topicWord(b.family)}.${b.release}`,
  eventKey: (b) => `build-finished/${b.koji_task_id}`,
  severity: (b) => (b.koji_state === 'CLOSED' ? SEVERITY.INFO : b.koji_state === 'CANCELED' ? SEVERITY.WARNING : SEVERITY.ERROR),
});

// ---- files published (downloads) ------------------------------------------------------------

export const filesPublishedV1Body = z
  .object({
    ...imageIdentity,
    architecture,
    files: z
      .array(
        z.object({
          name: z.string().min(1),
          url: httpsUrl,
          size: z.number().int().nonnegative(),
          sha256: sha256Hex,
        }),
      )
      .min(1)
      .describe('Each published image file with its download URL and checksum.'),
    checksum_url: httpsUrl.describe('The CHECKSUM file listing every file above.'),
  })
  .describe("An image's files were published to the download area.");

export const filesPublishedV1 = defineMessageType({
  schemaName: 'fedimg.files.published.v1',
  topicPattern: 'fedimg.files.published.v1.<family>.<release>.<arch>',
  title: 'Image files published',
  description: 'Image files and their CHECKSUM are downloadable.',
  body: filesPublishedV1Body,
  topic: (b) => `fedimg.files.published.v1.${topicWord(b.family)}.${b.release}.${topicWord(b.architecture)}`,
  eventKey: (b) => `files-published/${b.family}/${b.compose_id}/${b.architecture}`,
});

// ---- Glance published -----------------------------------------------------------------------

export const glancePublishedV1Body = z
  .object({
    ...imageIdentity,
    architecture,
    region: z.string().min(1).describe('The OpenStack region the image was uploaded to.'),
    image_id: z.uuid().describe('The Glance image id.'),
    image_name: z.string().min(1),
    visibility: z.enum(['public', 'private', 'shared', 'community']),
    disk_format: z.enum(['qcow2', 'raw']),
    size: z.number().int().nonnegative(),
    sha256: sha256Hex.optional().describe('SHA-256 of the uploaded image data.'),
  })
  .describe('An image was uploaded to an OpenStack Glance service.');

export const glancePublishedV1 = defineMessageType({
  schemaName: 'fedimg.glance.published.v1',
  topicPattern: 'fedimg.glance.published.v1.<family>.<release>.<arch>',
  title: 'Glance image published',
  description: 'An image is available in Glance.',
  body: glancePublishedV1Body,
  topic: (b) => `fedimg.glance.published.v1.${topicWord(b.family)}.${b.release}.${topicWord(b.architecture)}`,
  eventKey: (b) => `glance-published/${b.region}/${b.image_id}`,
});

// ---- image complete -------------------------------------------------------------------------

export const imageCompleteV1Body = z
  .object({
    ...imageIdentity,
    outcome: z.enum(['published', 'partial', 'failed']).describe('published: every destination succeeded; failed: none did.'),
    destinations: z
      .array(
        z.object({
          destination,
          architecture,
          status: z.enum(['published', 'failed', 'skipped']),
          error: z.string().optional().describe('Why it failed or was skipped.'),
          message_id: z.uuid().optional().describe('Id of the message that announced this destination.'),
          image_name: z.string().optional(),
          image_id: z.string().optional().describe('Glance image id.'),
          regions: z.record(awsRegion, amiId).optional().describe('EC2: region -> AMI id, where it succeeded.'),
          failed_regions: z.record(awsRegion, z.string()).optional().describe('EC2: region -> error, where it failed.'),
          urls: z.array(httpsUrl).optional().describe('Downloads: the published files.'),
        }),
      )
      .min(1)
      .describe("Every destination's outcome, one entry per (destination, arch)."),
  })
  .describe('An image release finished: the outcome of every destination.');

export const imageCompleteV1 = defineMessageType({
  schemaName: 'fedimg.image.complete.v1',
  topicPattern: 'fedimg.image.complete.v1.<family>.<release>',
  title: 'Image release complete',
  description: "Every destination's outcome for one build.",
  body: imageCompleteV1Body,
  topic: (b) => `fedimg.image.complete.v1.${topicWord(b.family)}.${b.release}`,
  eventKey: (b) => `image-complete/${b.family}/${b.compose_id}`,
  severity: (b) => (b.outcome === 'published' ? SEVERITY.INFO : b.outcome === 'partial' ? SEVERITY.WARNING : SEVERITY.ERROR),
});

// ---- retention actions ----------------------------------------------------------------------

export const retentionActionV1Body = z
  .object({
    ...imageIdentity,
    action: z.enum(['deprecated', 'removed']).describe('deprecated: still there, marked old; removed: deleted.'),
    destination,
    architecture,
    region: z.string().optional().describe('EC2 / OpenStack region, where the destination has regions.'),
    resource_id: z.string().min(1).describe('AMI id, Glance image id or download path.'),
    resource_name: z.string().min(1),
    reason: z.string().min(1).describe('The retention rule that applied, e.g. "nightly older than 14 days".'),
    run_id: z.string().min(1).describe('The retention run that acted.'),
  })
  .describe('The retention workflow deprecated or removed an image at one destination.');

export const retentionActionV1 = defineMessageType({
  schemaName: 'fedimg.retention.action.v1',
  topicPattern: 'fedimg.retention.action.v1.<action>.<destination>',
  title: 'Retention action',
  description: 'An old image was deprecated or removed.',
  body: retentionActionV1Body,
  topic: (b) => `fedimg.retention.action.v1.${b.action}.${b.destination}`,
  eventKey: (b) => `retention/${b.action}/${b.destination}/${b.region ?? '-'}/${b.resource_id}`,
});

// ---- release marked official ----------------------------------------------------------------

export const releaseOfficialV1Body = z
  .object({
    ...imageIdentity,
    marked_by: safeName.describe('The Fedora account of the operator who marked it.'),
    previous_compose_id: z.string().min(1).optional().describe('The build that was official before, if any.'),
    note: z.string().max(2000).optional(),
  })
  .describe("A build was marked as its release's official images.");

export const releaseOfficialV1 = defineMessageType({
  schemaName: 'fedimg.release.official.v1',
  topicPattern: 'fedimg.release.official.v1.<family>.<release>',
  title: 'Release marked official',
  description: "An operator marked a build as the release's official images.",
  body: releaseOfficialV1Body,
  topic: (b) => `fedimg.release.official.v1.${topicWord(b.family)}.${b.release}`,
  eventKey: (b) => `release-official/${b.family}/${b.compose_id}`,
  users: (b) => [b.marked_by],
});

export type BuildFinishedV1 = z.output<typeof buildFinishedV1Body>;
export type FilesPublishedV1 = z.output<typeof filesPublishedV1Body>;
export type GlancePublishedV1 = z.output<typeof glancePublishedV1Body>;
export type ImageCompleteV1 = z.output<typeof imageCompleteV1Body>;
/** One (destination, arch) entry of fedimg.image.complete.v1. */
export type ImageCompleteEntry = ImageCompleteV1['destinations'][number];
export type RetentionActionV1 = z.output<typeof retentionActionV1Body>;
export type ReleaseOfficialV1 = z.output<typeof releaseOfficialV1Body>;
