// Simplestreams (index:1.0 + products:1.0) built from the catalogue, so sstream-query,
// sstream-mirror and friends can read Fedora's images: one products file for the AMIs
// (datatype image-ids) and one for the downloads (datatype image-downloads).
import { compareC, USABLE_STATES, type ImageView } from './model';

export const CONTENT_PREFIX = 'org.fedoraproject.cloud';
export const STREAMS = {
  aws: { contentId: `${CONTENT_PREFIX}:aws`, datatype: 'image-ids' },
  downloads: { contentId: `${CONTENT_PREFIX}:downloads`, datatype: 'image-downloads' },
} as const;
export type StreamName = keyof typeof STREAMS;

export function productsPath(stream: StreamName): string {
  return `streams/v1/${STREAMS[stream].contentId}.json`;
}

export function productName(img: Pick<ImageView, 'family' | 'release' | 'arch'>): string {
  return `${CONTENT_PREFIX}:${img.family.toLowerCase()}:${img.release}:${img.arch}`;
}

/** RFC 2822 date, as simplestreams writes `updated`. */
export function streamsDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

interface Item {
  [k: string]: string | number;
}
interface Version {
  label: string;
  pubname: string;
  items: Record<string, Item>;
  compose_id?: string;
}
interface Product {
  arch: string;
  os: 'fedora';
  release: string;
  release_title: string;
  family: string;
  subvariant?: string;
  versions: Record<string, Version>;
}

export interface ProductsDoc {
  format: 'products:1.0';
  datatype: string;
  content_id: string;
  updated: string;
  products: Record<string, Product>;
}

export interface IndexDoc {
  format: 'index:1.0';
  updated: string;
  index: Record<string, { datatype: string; format: 'products:1.0'; path: string; updated: string; products: string[] }>;
}

/** Short item key for a region: us-east-1 -> useast1 (items are unique within a version). */
function regionKey(region: string): string {
  return region.replace(/[^a-z0-9]/g, '');
}

export function awsProducts(images: readonly ImageView[], updated: Date): ProductsDoc {
  return products('aws', images, updated, (img) => {
    const items: Record<string, Item> = {};
    for (const d of img.destinations) {
      if (d.type !== 'ec2' || !USABLE_STATES.includes(d.state)) continue;
      items[regionKey(d.location)] = {
        crsn: d.location,
        region: d.location,
        id: d.ref,
        virt: 'hvm',
        root_store: 'ebs',
        endpoint: `https://ec2.${d.location}.amazonaws.com`,
      };
    }
    return items;
  });
}

/**
 * Download items carry `path` relative to the catalogue's root when the file lives under it (the
 * local stack serves the downloads directory at /downloads), as mirrors expect; files on another
 * host keep their absolute URL in `path`.
 */
export function downloadProducts(images: readonly ImageView[], updated: Date, publicUrl: string): ProductsDoc {
  const base = publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`;
  return products('downloads', images, updated, (img) => {
    const items: Record<string, Item> = {};
    for (const d of img.destinations) {
      if (d.type !== 'download' || !USABLE_STATES.includes(d.state) || !d.url || !d.sha256 || d.size === null) continue;
      const path = d.url.startsWith(base) ? d.url.slice(base.length) : d.url;
      items[(d.ftype ?? d.location).replace(/[^A-Za-z0-9._-]/g, '_')] = { ftype: d.ftype ?? 'file', path, sha256: d.sha256, size: d.size };
    }
    return items;
  });
}

function products(stream: StreamName, images: readonly ImageView[], updated: Date, itemsOf: (img: ImageView) => Record<string, Item>): ProductsDoc {
  const out: Record<string, Product> = {};
  for (const img of images) {
    const items = itemsOf(img);
    if (Object.keys(items).length === 0) continue;
    const name = productName(img);
    const product = (out[name] ??= {
      arch: img.arch,
      os: 'fedora',
      release: img.release,
      release_title: img.release === 'rawhide' ? 'Fedora Rawhide' : `Fedora ${img.release}`,
      family: img.family,
      versions: {},
    });
    if (img.subvariant && !product.subvariant) product.subvariant = img.subvariant;
    product.versions[img.version] = {
      label: img.kind,
      pubname: img.name ?? `Fedora-${img.family}-${img.version}.${img.arch}`,
      ...(img.composeId ? { compose_id: img.composeId } : {}),
      items: sortKeys(items),
    };
  }
  for (const p of Object.values(out)) p.versions = sortKeys(p.versions);
  return { format: 'products:1.0', datatype: STREAMS[stream].datatype, content_id: STREAMS[stream].contentId, updated: streamsDate(updated), products: sortKeys(out) };
}

export function streamsIndex(docs: Partial<Record<StreamName, ProductsDoc>>, updated: Date): IndexDoc {
  const index: IndexDoc['index'] = {};
  for (const [stream, doc] of Object.entries(docs) as Array<[StreamName, ProductsDoc | undefined]>) {
    if (!doc) continue;
    index[doc.content_id] = {
      datatype: doc.datatype,
      format: 'products:1.0',
      path: productsPath(stream),
      updated: doc.updated,
      products: Object.keys(doc.products),
    };
  }
  return { format: 'index:1.0', updated: streamsDate(updated), index };
}

/** Keys in LANG=C order: simplestreams sorts version serials that way, and it keeps output stable. */
function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => compareC(a, b)));
}
