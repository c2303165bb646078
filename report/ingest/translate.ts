// From the bus's message bodies (domain/messages, already validated) to the catalogue's changes.
// Pure: the one look-up it may need (which image an EC2 message is about, when the AMI name does
// not say) is a function the caller passes in.
import type {
  AwsPublishedV1,
  BuildFinishedV1,
  FilesPublishedV1,
  GlancePublishedV1,
  ImageCompleteV1,
  ReleaseOfficialV1,
  RetentionActionV1,
} from '../../domain/messages';
import { ARCHES } from '../../config/schema';
import { isValidKey, type CatalogueChange, type DestinationType, type ImageKey, type ImageKind, type ImageStatus } from '../model';

/** The fields every fedimg.* body repeats (domain/messages imageIdentity). */
interface Identity {
  family: string;
  subvariant: string;
  release: number;
  version: string;
  compose_id: string;
  build_kind: 'nightly' | 'weekly' | 'rc' | 'respin';
}

export class UntranslatableError extends Error {
  override name = 'UntranslatableError';
}

export interface TranslateContext {
  /** Finds the image an EC2 message is about when its AMI name cannot be parsed. */
  findByCompose?(composeId: string, arch: string, subvariant: string): Promise<ImageKey | undefined>;
  /** Location of Glance destinations a message names only by image id (settings openstack.region). */
  glanceRegion: string;
}

/** "Fedora-Rawhide-20261122.n.0" -> "Rawhide-20261122.n.0": the build's version-release, as file and AMI names carry it. */
export function versionOf(id: Pick<Identity, 'compose_id' | 'version'>): string {
  const prefix = `Fedora-${id.version}-`;
  if (id.compose_id.startsWith(prefix)) return id.compose_id.slice('Fedora-'.length);
  if (id.compose_id.startsWith('Fedora-')) return id.compose_id.slice('Fedora-'.length);
  return `${id.version}-${id.compose_id}`;
}

export function releaseOf(id: Pick<Identity, 'release' | 'version'>): string {
  return id.version.toLowerCase() === 'rawhide' ? 'rawhide' : String(id.release);
}

function keyOf(id: Identity, arch: string): ImageKey {
  const key = { family: id.family, release: releaseOf(id), arch, version: versionOf(id) };
  if (!isValidKey(key)) throw new UntranslatableError(`cannot name the image: ${JSON.stringify(key)}`);
  return key;
}

const facts = (id: Identity) => ({ kind: id.build_kind as ImageKind, composeId: id.compose_id, subvariant: id.subvariant });

export function fromBuildFinished(b: BuildFinishedV1): CatalogueChange[] {
  const status: ImageStatus = b.koji_state === 'CLOSED' ? 'built' : 'failed';
  return b.arches.map((arch) => ({
    type: 'image',
    image: keyOf(b, arch),
    facts: { ...facts(b), kojiTaskId: b.koji_task_id, buildId: b.compose_id, status },
    note:
      b.koji_state === 'CLOSED'
        ? `Built in Koji (task ${b.koji_task_id})`
        : `Koji task ${b.koji_task_id} ${b.koji_state.toLowerCase()}${b.error ? `: ${b.error}` : ''}`,
  }));
}

/** Download format from a file name: qcow2, raw.tar.xz, raw.xz, iso… */
export function ftypeOf(name: string): string {
  if (/CHECKSUM$/i.test(name)) return 'CHECKSUM';
  const m = /\.(raw\.tar\.xz|raw\.xz|tar\.gz|tar\.xz|oci\.tar\.xz|vagrant\.[a-z]+\.box|vhdfixed\.xz|qcow2|iso|wsl|box)$/i.exec(name);
  return m?.[1]?.toLowerCase() ?? (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : 'file');
}

export function fromFilesPublished(b: FilesPublishedV1): CatalogueChange[] {
  const image = keyOf(b, b.architecture);
  const changes: CatalogueChange[] = b.files.map((f) => ({
    type: 'destination',
    image,
    facts: facts(b),
    destination: { type: 'download', location: f.name, ref: f.name, url: f.url, sha256: f.sha256, size: f.size, ftype: ftypeOf(f.name), state: 'published' },
    note: `Downloadable: ${f.name}`,
  }));
  const checksum = basename(b.checksum_url);
  changes.push({
    type: 'destination',
    image,
    facts: facts(b),
    destination: { type: 'download', location: checksum, ref: checksum, url: b.checksum_url, ftype: 'CHECKSUM', state: 'published' },
    note: `Checksums: ${checksum}`,
  });
  return changes;
}

export function fromGlancePublished(b: GlancePublishedV1): CatalogueChange[] {
  return [
    {
      type: 'destination',
      image: keyOf(b, b.architecture),
      facts: { ...facts(b) },
      destination: {
        type: 'glance',
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

const ARCH_ALTERNATIVES = ARCHES.join('|');
const AMI_NAME = new RegExp(`^Fedora-(.+)\\.(${ARCH_ALTERNATIVES})-((?:Rawhide|\\d+[A-Za-z0-9_]*)-[A-Za-z0-9_.+~]+)$`);

/**
 * Fedora's AMI names are `Fedora-<family>.<arch>-<version>-<label>` (domain/ec2 amiName), so the
 * image is read from the name; otherwise it is looked up by compose id, arch and subvariant.
 */
export async function fromAwsPublished(b: AwsPublishedV1, ctx: TranslateContext): Promise<CatalogueChange[]> {
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
      destination: { type: 'ec2', location: region, ref: ami, state: 'published' },
      note: `AMI in ${region}: ${ami}`,
    }));
}

const DEST_TYPE: Record<'downloads' | 'ec2' | 'glance', DestinationType> = { downloads: 'download', ec2: 'ec2', glance: 'glance' };

export function fromImageComplete(b: ImageCompleteV1, ctx: TranslateContext): CatalogueChange[] {
  const changes: CatalogueChange[] = [];
  const arches = [...new Set(b.destinations.map((d) => d.architecture))];
  for (const arch of arches) {
    const image = keyOf(b, arch);
    const mine = b.destinations.filter((d) => d.architecture === arch);
    const failed = mine.filter((d) => d.status === 'failed').length;
    // An EC2 entry that failed in some regions still published in the others.
    const worked = mine.filter((d) => d.status === 'published' || Object.keys(d.regions ?? {}).length > 0).length;
    const status: ImageStatus = failed === 0 ? 'complete' : worked === 0 ? 'failed' : 'partial';
    for (const d of mine) {
      const type = DEST_TYPE[d.destination];
      if (d.status === 'skipped') continue;
      if (type === 'ec2') {
        for (const [region, ami] of Object.entries(d.regions ?? {})) {
          changes.push({ type: 'destination', image, destination: { type, location: region, ref: ami, state: 'published' } });
        }
        for (const [region, error] of Object.entries(d.failed_regions ?? {})) {
          changes.push({ type: 'destination', image, destination: { type, location: region, ref: '', state: 'failed', detail: error } });
        }
        if (d.status === 'failed' && !d.regions && !d.failed_regions) {
          changes.push({ type: 'destination', image, destination: { type, location: '*', ref: '', state: 'failed', detail: d.error ?? 'failed' } });
        }
      } else if (type === 'glance') {
        changes.push({
          type: 'destination',
          image,
          destination:
            d.status === 'published' && d.image_id
              ? { type, location: ctx.glanceRegion, ref: d.image_id, state: 'published' }
              : { type, location: ctx.glanceRegion, ref: d.image_id ?? '', state: 'failed', detail: d.error ?? 'failed' },
        });
      } else if (d.status === 'published') {
        for (const url of d.urls ?? []) {
          const name = basename(url);
          changes.push({ type: 'destination', image, destination: { type, location: name, ref: name, url, ftype: ftypeOf(name), state: 'published' } });
        }
      } else {
        changes.push({ type: 'destination', image, destination: { type, location: '*', ref: '', state: 'failed', detail: d.error ?? 'failed' } });
      }
    }
    const summary = mine.map((d) => `${d.destination} ${d.status}${d.error ? ` (${d.error})` : ''}`).join(', ');
    // Last, so the verdict wins over the "publishing" the destination changes imply.
    changes.push({ type: 'image', image, facts: { ...facts(b), status }, note: `Complete: ${summary}` });
  }
  return changes;
}

export function fromRetention(b: RetentionActionV1): CatalogueChange[] {
  const type = DEST_TYPE[b.destination];
  return [
    {
      type: 'destination-state',
      image: keyOf(b, b.architecture),
      destinationType: type,
      // Downloads go as a whole image (files and CHECKSUM together); clouds per region.
      ...(type !== 'download' && b.region ? { location: b.region } : {}),
      state: b.action,
      detail: b.reason,
      note: `${b.action === 'removed' ? 'Removed' : 'Deprecated'} ${b.destination}${b.region ? ` in ${b.region}` : ''}: ${b.resource_id} (${b.reason})`,
    },
  ];
}

export function fromReleaseOfficial(b: ReleaseOfficialV1): CatalogueChange[] {
  return [{ type: 'official', release: releaseOf(b), family: b.family, version: versionOf(b), markedBy: b.marked_by, note: b.note }];
}

function basename(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url.slice(url.lastIndexOf('/') + 1) || url;
  }
}
