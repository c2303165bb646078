// The mirror's catalogue part: one entry per mirrored file.
import type { CatalogueDestination } from '../../../../report/ingest/destinations/types';
import { facts, keyOf, type Identity } from '../../../../report/ingest/identity';
import type { ImageKey } from '../../../../report/model';

type MirrorBody = Identity & { architecture: string; files: Array<{ name: string; sha256: string }> };

export const mirrorCatalogue: CatalogueDestination = {
  messages: {
    'fedimg.test.mirror.published.v1': (body) => {
      const b = body as MirrorBody;
      const image: ImageKey = keyOf(b, b.architecture);
      // The catalogue stores known destination types only; a test destination is a note.
      return [{ type: 'image', image, facts: facts(b), note: `Mirrored: ${b.files.map((f) => f.name).join(', ')}` }];
    },
  },
  fromComplete: () => [],
};
