// The scheduled Glance retention's two calls, adapted to Temporal: list one family's images that
// carry this project's tag (every kind: the workflow's plan says why it keeps each), and delete
// one expired nightly after looking at it again. The second look is the last guard: an image
// that was re-tagged, marked protected or turned out not to be a nightly since the listing is
// refused, not deleted. The rules themselves are pure, in domain/glance-retention.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { IDENTITY, type GlanceApi, type GlanceImage } from '../clients/openstack';
import { glanceProtectionReason, type GlanceRetentionImage } from '../domain/glance-retention';
import { toFailure } from './glance';

export interface GlanceRetentionActivityDeps {
  client: GlanceApi;
  /** This project's tag on every image it makes. Default fedimg. */
  tag?: string;
}

export interface DeleteExpiredGlanceImageInput {
  imageId: string;
  /** The family the plan was made for; the image must still belong to it. */
  family: string;
}

export interface DeleteExpiredGlanceImageResult {
  outcome: 'deleted' | 'already gone';
}

/** The image changed since the plan: it is not ours, protected, or not an expired family nightly. */
export const GLANCE_RETENTION_REFUSED = 'GlanceRetentionRefused';

export function createGlanceRetentionActivities(deps: GlanceRetentionActivityDeps) {
  const { client } = deps;
  const tag = deps.tag ?? 'fedimg';
  return {
    /** This project's images (by tag) of one family, every kind and status. */
    async listGlanceRetentionImages(input: { family: string }): Promise<{ tag: string; images: GlanceRetentionImage[] }> {
      try {
        const found = await client.findImages({ tag, properties: { [IDENTITY.family]: input.family } }, { signal: Context.current().cancellationSignal });
        return { tag, images: found.map(toRetentionImage) };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Deletes one nightly the workflow's plan expired, after checking it is still one. */
    async deleteExpiredGlanceImage(input: DeleteExpiredGlanceImageInput): Promise<DeleteExpiredGlanceImageResult> {
      const signal = Context.current().cancellationSignal;
      try {
        const img = await client.getImage(input.imageId, { signal });
        if (!img) return { outcome: 'already gone' };
        const why = glanceProtectionReason(toRetentionImage(img), { tag, family: input.family });
        if (why) throw ApplicationFailure.nonRetryable(`Glance image ${input.imageId} (${img.name ?? 'no name'}) is no longer one to delete: ${why}`, GLANCE_RETENTION_REFUSED);
        return { outcome: (await client.deleteImage(input.imageId, { signal })) ? 'deleted' : 'already gone' };
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

export type GlanceRetentionActivities = ReturnType<typeof createGlanceRetentionActivities>;

function toRetentionImage(i: GlanceImage): GlanceRetentionImage {
  return {
    imageId: i.id,
    name: i.name ?? '',
    status: i.status,
    createdAt: i.created_at,
    size: i.size,
    family: str(i[IDENTITY.family]),
    release: str(i[IDENTITY.release]),
    kind: str(i[IDENTITY.kind]),
    buildId: str(i[IDENTITY.build]),
    arch: str(i.architecture),
    tags: Array.isArray(i.tags) ? i.tags : [],
    protected: i.protected === true,
    visibility: i.visibility,
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
