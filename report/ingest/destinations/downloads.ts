// The download server's files: each file and the CHECKSUM as a `download` entry of the image.
import { DESTINATIONS } from '../../../domain/destinations';
import type { FilesPublishedV1 } from '../../../domain/messages';
import type { CatalogueChange } from '../../model';
import { basename, facts, ftypeOf, keyOf } from '../identity';
import type { CatalogueDestination } from './types';

const type = DESTINATIONS.downloads.catalogueType;

function fromFilesPublished(b: FilesPublishedV1): CatalogueChange[] {
  const image = keyOf(b, b.architecture);
  const changes: CatalogueChange[] = b.files.map((f) => ({
    type: 'destination',
    image,
    facts: facts(b),
    destination: { type, location: f.name, ref: f.name, url: f.url, sha256: f.sha256, size: f.size, ftype: ftypeOf(f.name), state: 'published' },
    note: `Downloadable: ${f.name}`,
  }));
  const checksum = basename(b.checksum_url);
  changes.push({
    type: 'destination',
    image,
    facts: facts(b),
    destination: { type, location: checksum, ref: checksum, url: b.checksum_url, ftype: 'CHECKSUM', state: 'published' },
    note: `Checksums: ${checksum}`,
  });
  return changes;
}


export const downloadsCatalogue: CatalogueDestination = {
  messages: { 'fedimg.files.published.v1': (b) => fromFilesPublished(b as FilesPublishedV1) },
  fromComplete(d, image) {
    if (d.status !== 'published') return [{ type: 'destination', image, destination: { type, location: '*', ref: '', state: 'failed', detail: d.error ?? 'failed' } }];
    return (d.urls ?? []).map((url) => {
      const name = basename(url);
      return { type: 'destination', image, destination: { type, location: name, ref: name, url, ftype: ftypeOf(name), state: 'published' } };
    });
  },
};
