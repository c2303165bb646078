// An in-memory Glance behind the GlanceApi interface, for activity unit tests. It behaves like
// the real one where the activities care (statuses, tags, name/tag/property filters, sha512 of
// uploaded data); the integration tests check the same activities against Debian's Glance.
import { randomUUID } from 'node:crypto';
import type { CallOptions, CreateImageRequest, GlanceApi, GlanceImage, ImageFilter, UploadOptions } from '../../../clients/openstack';
import { hashFile, type UploadResult } from '../../../clients/openstack/upload';

export class FakeGlance implements GlanceApi {
  images = new Map<string, GlanceImage>();
  calls: string[] = [];
  /** Called before each upload; throw to fail it, or wait on the signal to hang it. */
  beforeUpload: ((id: string, opts: UploadOptions) => Promise<void> | void) | undefined;
  /** Corrupt what Glance reports after an upload. */
  storedHash: ((real: string) => string) | undefined;
  failFind: (() => Error) | undefined;
  private clock = Date.parse('2026-11-01T00:00:00Z');

  async createImage(req: CreateImageRequest): Promise<GlanceImage> {
    this.calls.push(`create ${req.name}`);
    const id = randomUUID();
    const at = new Date((this.clock += 1000)).toISOString();
    const img: GlanceImage = {
      ...req.properties,
      id,
      name: req.name,
      status: 'queued',
      size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      visibility: req.visibility,
      owner: 'p1',
      tags: [...(req.tags ?? [])],
      created_at: at,
      updated_at: at,
      disk_format: req.diskFormat ?? 'qcow2',
      container_format: req.containerFormat ?? 'bare',
    };
    this.images.set(id, img);
    return structuredClone(img);
  }

  async getImage(id: string): Promise<GlanceImage | undefined> {
    const img = this.images.get(id);
    return img && structuredClone(img);
  }

  async findImages(filter: ImageFilter): Promise<GlanceImage[]> {
    this.calls.push('find');
    if (this.failFind) throw this.failFind();
    return [...this.images.values()]
      .filter(
        (i) =>
          (filter.name === undefined || i.name === filter.name) &&
          (filter.tag === undefined || i.tags.includes(filter.tag)) &&
          (filter.status === undefined || i.status === filter.status) &&
          Object.entries(filter.properties ?? {}).every(([k, v]) => i[k] === v),
      )
      .map((i) => structuredClone(i));
  }

  async uploadFile(id: string, path: string, opts: UploadOptions = {}): Promise<UploadResult> {
    this.calls.push(`upload ${id}`);
    const img = this.images.get(id);
    if (!img) throw new Error(`no image ${id}`);
    img.status = 'saving';
    try {
      await this.beforeUpload?.(id, opts);
    } catch (err) {
      img.status = 'queued';
      throw err;
    }
    const h = await hashFile(path, { onProgress: opts.onProgress });
    Object.assign(img, { status: 'active', size: h.bytes, os_hash_algo: 'sha512', os_hash_value: this.storedHash?.(h.sha512) ?? h.sha512 });
    return { ...h, status: 204 };
  }

  async importWebDownload(id: string, uri: string): Promise<void> {
    this.calls.push(`import ${id} ${uri}`);
    const img = this.images.get(id);
    if (img) img.status = 'importing';
  }

  async addTag(id: string, tag: string): Promise<void> {
    this.images.get(id)?.tags.push(tag);
  }

  async deleteImage(id: string, _opts?: CallOptions): Promise<boolean> {
    this.calls.push(`delete ${id}`);
    return this.images.delete(id);
  }

  /** Puts an image straight into the store, as another run (or a crash) left it. */
  seed(partial: Partial<GlanceImage> & { name: string; status: GlanceImage['status'] }): GlanceImage {
    const id = partial.id ?? randomUUID();
    const at = partial.created_at ?? new Date((this.clock += 1000)).toISOString();
    const img: GlanceImage = {
      size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      visibility: 'public',
      owner: 'p1',
      tags: ['fedimg'],
      updated_at: at,
      disk_format: 'qcow2',
      container_format: 'bare',
      ...partial,
      id,
      created_at: at,
    };
    this.images.set(id, img);
    return img;
  }

  byStatus(status: string): GlanceImage[] {
    return [...this.images.values()].filter((i) => i.status === status);
  }
}
