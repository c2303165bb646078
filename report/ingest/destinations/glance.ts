// Glance: one entry per cloud region, the Glance image id as its reference.
import { DESTINATIONS } from '../../../domain/destinations';
import type { GlancePublishedV1 } from '../../../domain/messages';
import type { CatalogueChange } from '../../model';
import { facts, keyOf } from '../identity';
import type { CatalogueDestination } from './types';

const type = DESTINATIONS.glance.catalogueType;

function fromGlancePublished(b: GlancePublishedV1): CatalogueChange[] {
  return [
    {
      type: 'destination',
      image: keyOf(b, b.architecture),
      facts: { ...facts(b) },
      destination: {
        type,
        location: b.region,
        ref: b.image_id,
        size: b.size,
        sha256: b.sha256,
        ftype: b.disk_format,
        state: 'published',
        detail: `${b.image_name} (${b.visibility})`,
      },
      note: `In Glance (${b.region}): ${b.image_id}`,
    },
  ];
}


export const glanceCatalogue: CatalogueDestination = {
  messages: { 'fedimg.glance.published.v1': (b) => fromGlancePublished(b as GlancePublishedV1) },
  fromComplete(d, image, ctx) {
    return [
      {
        type: 'destination',
        image,
        destination:
          d.status === 'published' && d.image_id
            ? { type, location: ctx.glanceRegion, ref: d.image_id, state: 'published' }
            : { type, location: ctx.glanceRegion, ref: d.image_id ?? '', state: 'failed', detail: d.error ?? 'failed' },
      },
    ];
  },
};
