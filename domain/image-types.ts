// What Koji can hand the pipeline, as data: each image type says how its files are recognised
// from the names Koji's image tasks give them (kiwi's bundle names, Oz's and livecd-creator's
// outputs; shared/reference/fedora-images.md), where Fedora's download tree keeps it, and which
// artifacts the pipeline makes of it. Destinations say which types they take
// (domain/destinations.ts); the arch pipeline asks these two tables, never a file suffix.

export interface ImageTypeSpec {
  title: string;
  /** Koji's file-name endings for this type, best first (the first that matches is fetched). */
  suffixes: readonly string[];
  /**
   * What is published: `disk-conversions` turns the disk into the family's `outputs` (qcow2
   * with native compression, a raw.tar.xz of the sparse raw); `as-built` publishes Koji's file
   * unchanged (an ISO, a Vagrant box, ...). Either way each file is listed in the CHECKSUM.
   */
  artifacts: 'disk-conversions' | 'as-built';
  /** The folder under `<Variant>/<arch>/` of Fedora's download layout. */
  downloadFolder: 'images' | 'iso';
}

export const IMAGE_TYPES = {
  'disk-image': {
    title: 'disk image (raw or qcow2)',
    // raw keeps every block as built: the conversions are made from it when Koji has it.
    suffixes: ['.raw.xz', '.raw', '.qcow2'],
    artifacts: 'disk-conversions',
    downloadFolder: 'images',
  },
  iso: { title: 'ISO (LiveCD, installer)', suffixes: ['.iso'], artifacts: 'as-built', downloadFolder: 'iso' },
  'vagrant-box': {
    title: 'Vagrant box',
    suffixes: ['.vagrant.libvirt.box', '.vagrant.virtualbox.box', '.vagrant-libvirt.box', '.vagrant-virtualbox.box'],
    artifacts: 'as-built',
    downloadFolder: 'images',
  },
  vhd: { title: 'fixed VHD (Azure)', suffixes: ['.vhdfixed.xz', '.vhd.xz', '.vhd'], artifacts: 'as-built', downloadFolder: 'images' },
  'gce-tarball': { title: 'GCE tarball (disk.raw)', suffixes: ['.tar.gz'], artifacts: 'as-built', downloadFolder: 'images' },
  'container-archive': {
    title: 'container archive (OCI or Docker)',
    suffixes: ['.oci.tar.xz', '.docker.tar.xz', '.oci.tar', '.docker.tar'],
    artifacts: 'as-built',
    downloadFolder: 'images',
  },
  'wsl-tarball': { title: 'WSL image', suffixes: ['.wsl'], artifacts: 'as-built', downloadFolder: 'images' },
} as const satisfies Record<string, ImageTypeSpec>;

export type ImageTypeId = keyof typeof IMAGE_TYPES;
export const IMAGE_TYPE_IDS = Object.keys(IMAGE_TYPES) as ImageTypeId[];

/** The type a family builds when its settings name none: what the first shape handled. */
export const DEFAULT_IMAGE_TYPES: readonly ImageTypeId[] = ['disk-image'];

/** The type whose suffix the file name ends with; the longest matching suffix decides
 *  (`x.oci.tar.xz` is a container archive, not something else ending in `.tar.xz`). */
export function imageTypeOf(fileName: string): ImageTypeId | undefined {
  let best: { id: ImageTypeId; length: number } | undefined;
  for (const id of IMAGE_TYPE_IDS) {
    for (const suffix of IMAGE_TYPES[id].suffixes) {
      if (fileName.endsWith(suffix) && (!best || suffix.length > best.length)) best = { id, length: suffix.length };
    }
  }
  return best?.id;
}

/** The file of `type` to fetch from a task's files: the best suffix first, then by name. */
export function pickFileOfType(type: ImageTypeId, files: readonly string[]): string | undefined {
  for (const suffix of IMAGE_TYPES[type].suffixes) {
    const match = files.filter((f) => f.endsWith(suffix) && imageTypeOf(f) === type).sort()[0];
    if (match) return match;
  }
  return undefined;
}
