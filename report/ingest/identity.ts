// What every catalogue translation needs: which image a fedimg.* body is about (its key), the
// facts every body carries, and the context a translation may look things up in.
import { isValidKey, type ImageKey, type ImageKind } from '../model';

/** The fields every fedimg.* body repeats (domain/messages imageIdentity). */
export interface Identity {
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

export function keyOf(id: Identity, arch: string): ImageKey {
  const key = { family: id.family, release: releaseOf(id), arch, version: versionOf(id) };
  if (!isValidKey(key)) throw new UntranslatableError(`cannot name the image: ${JSON.stringify(key)}`);
  return key;
}

export const facts = (id: Identity) => ({ kind: id.build_kind as ImageKind, composeId: id.compose_id, subvariant: id.subvariant });


/** Download format from a file name: qcow2, raw.tar.xz, raw.xz, iso… */
export function ftypeOf(name: string): string {
  if (/CHECKSUM$/i.test(name)) return 'CHECKSUM';
  const m = /\.(raw\.tar\.xz|raw\.xz|tar\.gz|tar\.xz|oci\.tar\.xz|vagrant\.[a-z]+\.box|vhdfixed\.xz|qcow2|iso|wsl|box)$/i.exec(name);
  return m?.[1]?.toLowerCase() ?? (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : 'file');
}


export function basename(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url.slice(url.lastIndexOf('/') + 1) || url;
  }
}
