// EC2: one entry per region, the AMI id as its reference. Fedora's own
// fedora_image_uploader.published.v1.aws message names the regions.
import { ARCHES } from '../../../domain/arches';
import { DESTINATIONS } from '../../../domain/destinations';
import type { AwsPublishedV1 } from '../../../domain/messages';
import { isValidKey, type CatalogueChange, type ImageKey } from '../../model';
import { UntranslatableError, type TranslateContext } from '../identity';
import type { CatalogueDestination } from './types';

const type = DESTINATIONS.ec2.catalogueType;

const ARCH_ALTERNATIVES = ARCHES.join('|');
const AMI_NAME = new RegExp(`^Fedora-(.+)\\.(${ARCH_ALTERNATIVES})-((?:Rawhide|\\d+[A-Za-z0-9_]*)-[A-Za-z0-9_.+~]+)$`);

/**
 * Fedora's AMI names are `Fedora-<family>.<arch>-<version>-<label>` (domain/ec2 amiName), so the
 * image is read from the name; otherwise it is looked up by compose id, arch and subvariant.
 */
async function fromAwsPublished(b: AwsPublishedV1, ctx: TranslateContext): Promise<CatalogueChange[]> {
  let image: ImageKey | undefined;
  const m = AMI_NAME.exec(b.image_name);
  if (m && m[2] === b.architecture) {
    const version = m[3] as string;
    image = { family: m[1] as string, release: version.startsWith('Rawhide-') ? 'rawhide' : String(b.release), arch: b.architecture, version };
  } else {
    image = await ctx.findByCompose?.(b.compose_id, b.architecture, b.subvariant);
  }
  if (!image || !isValidKey(image)) {
    throw new UntranslatableError(`cannot tell which image AMI "${b.image_name}" (${b.compose_id} ${b.architecture}) belongs to`);
  }
  const key = image;
  return Object.entries(b.regions)
    .sort(([a], [z]) => a.localeCompare(z))
    .map(([region, ami]) => ({
      type: 'destination',
      image: key,
      facts: { composeId: b.compose_id, subvariant: b.subvariant, name: b.image_name },
      destination: { type, location: region, ref: ami, state: 'published' },
      note: `AMI in ${region}: ${ami}`,
    }));
}


export const ec2Catalogue: CatalogueDestination = {
  messages: { 'fedora_image_uploader.published.v1.aws': (b, ctx) => fromAwsPublished(b as AwsPublishedV1, ctx) },
  fromComplete(d, image) {
    const changes: CatalogueChange[] = [];
    for (const [region, ami] of Object.entries(d.regions ?? {})) {
      changes.push({ type: 'destination', image, destination: { type, location: region, ref: ami, state: 'published' } });
    }
    for (const [region, error] of Object.entries(d.failed_regions ?? {})) {
      changes.push({ type: 'destination', image, destination: { type, location: region, ref: '', state: 'failed', detail: error } });
    }
    if (d.status === 'failed' && !d.regions && !d.failed_regions) {
      changes.push({ type: 'destination', image, destination: { type, location: '*', ref: '', state: 'failed', detail: d.error ?? 'failed' } });
    }
    return changes;
  },
};
