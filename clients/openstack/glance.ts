// Glance v2, the calls an image publisher needs: create, upload (streamed from disk), import by
// web-download, look up, list by name/tag/property, tag, delete. The endpoint comes from
// Keystone's catalogue (region + interface) unless one is configured.
//
// A 401 from Glance means the token went bad (revoked, Keystone's keys rotated): the client logs
// in once more and repeats the call once, the one retry OpenStack's own rules call for. Every
// other retry belongs to the caller (Temporal's retry policy).
import { stat } from 'node:fs/promises';
import { OpenStackHttpError, OpenStackProtocolError } from './errors';
import { requestJson, type JsonResponse, type RequestOptions } from './http';
import type { EndpointInterface, KeystoneSession } from './keystone';
import { putFile, type UploadProgress, type UploadResult } from './upload';

export type GlanceStatus =
  | 'queued'
  | 'saving'
  | 'uploading'
  | 'importing'
  | 'active'
  | 'killed'
  | 'deactivated'
  | 'pending_delete'
  | 'deleted';

export type Visibility = 'public' | 'private' | 'shared' | 'community';

export interface GlanceImage {
  id: string;
  name: string | null;
  status: GlanceStatus;
  size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  visibility: Visibility;
  owner: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  disk_format: string | null;
  container_format: string | null;
  /** Extra properties (os_distro, hw_*, fedimg_*) sit beside the core fields. */
  [property: string]: unknown;
}

export interface CreateImageRequest {
  name: string;
  visibility: Visibility;
  diskFormat?: 'qcow2' | 'raw';
  containerFormat?: 'bare';
  minDiskGiB?: number;
  minRamMiB?: number;
  tags?: string[];
  /** String-valued extra properties. */
  properties?: Record<string, string>;
}

export interface ImageFilter {
  name?: string;
  tag?: string;
  status?: GlanceStatus;
  /** Extra properties that must equal these values, e.g. { fedimg_kind: 'nightly' }. */
  properties?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface UploadOptions extends CallOptions {
  onProgress?: (p: UploadProgress) => void;
}

/** What the activities use; GlanceClient implements it, tests may fake it. */
export interface GlanceApi {
  createImage(req: CreateImageRequest, opts?: CallOptions): Promise<GlanceImage>;
  /** undefined when there is no such image (404). */
  getImage(id: string, opts?: CallOptions): Promise<GlanceImage | undefined>;
  /** Images of the logged-in project matching every given filter (follows pagination). */
  findImages(filter: ImageFilter, opts?: CallOptions): Promise<GlanceImage[]>;
  /** PUT /v2/images/{id}/file from a file; returns what was sent and its hashes. */
  uploadFile(id: string, path: string, opts?: UploadOptions): Promise<UploadResult>;
  /** Asks Glance to fetch the data itself (import method web-download); returns at once. */
  importWebDownload(id: string, uri: string, opts?: CallOptions): Promise<void>;
  addTag(id: string, tag: string, opts?: CallOptions): Promise<void>;
  /** false when the image was already gone. */
  deleteImage(id: string, opts?: CallOptions): Promise<boolean>;
}

export interface GlanceClientOptions {
  session: KeystoneSession;
  region: string;
  interface: EndpointInterface;
  /** Use this URL instead of the catalogue's (a private network, a proxy in tests). */
  endpoint?: string;
  /** Deadline of one API call (not of an upload). Default 60 s. */
  timeoutMs?: number;
  /** An upload with no progress this long is stalled. Default 5 minutes. */
  uploadIdleTimeoutMs?: number;
  /** Upload progress is reported at most this often. Default 500 ms. */
  progressEveryMs?: number;
}

const PAGE = 200;

export class GlanceClient implements GlanceApi {
  constructor(private readonly opts: GlanceClientOptions) {}

  async createImage(req: CreateImageRequest, opts: CallOptions = {}): Promise<GlanceImage> {
    const body: Record<string, unknown> = {
      ...req.properties,
      name: req.name,
      disk_format: req.diskFormat ?? 'qcow2',
      container_format: req.containerFormat ?? 'bare',
      visibility: req.visibility,
      tags: req.tags ?? [],
    };
    if (req.minDiskGiB !== undefined) body.min_disk = req.minDiskGiB;
    if (req.minRamMiB !== undefined) body.min_ram = req.minRamMiB;
    const res = await this.call<GlanceImage>('/v2/images', { method: 'POST', body, signal: opts.signal });
    return checkImage(res.body, 'POST /v2/images');
  }

  async getImage(id: string, opts: CallOptions = {}): Promise<GlanceImage | undefined> {
    try {
      const res = await this.call<GlanceImage>(`/v2/images/${encodeURIComponent(id)}`, { signal: opts.signal });
      return checkImage(res.body, `GET /v2/images/${id}`);
    } catch (err) {
      if (err instanceof OpenStackHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  async findImages(filter: ImageFilter, opts: CallOptions = {}): Promise<GlanceImage[]> {
    const token = await this.opts.session.token(opts.signal);
    const q = new URLSearchParams({ limit: String(PAGE), sort: 'created_at:asc' });
    // "all" so community and shared images of ours are listed too; owner keeps it to our project.
    q.set('visibility', 'all');
    if (token.projectId) q.set('owner', token.projectId);
    if (filter.name !== undefined) q.set('name', filter.name);
    if (filter.tag !== undefined) q.set('tag', filter.tag);
    if (filter.status !== undefined) q.set('status', filter.status);
    for (const [k, v] of Object.entries(filter.properties ?? {})) q.set(k, v);
    const images: GlanceImage[] = [];
    let path: string | undefined = `/v2/images?${q.toString()}`;
    for (let pages = 0; path !== undefined; pages++) {
      if (pages > 10_000) throw new OpenStackProtocolError('glance: image listing does not end');
      const res: JsonResponse<{ images?: GlanceImage[]; next?: string }> = await this.call(path, { signal: opts.signal });
      if (!Array.isArray(res.body?.images)) throw new OpenStackProtocolError(`glance GET ${path}: no "images" list in the answer`);
      images.push(...res.body.images);
      path = res.body.next;
    }
    return images;
  }

  async uploadFile(id: string, path: string, opts: UploadOptions = {}): Promise<UploadResult> {
    const { size } = await stat(path);
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.session.token(opts.signal);
      const url = `${await this.base(opts.signal)}/v2/images/${encodeURIComponent(id)}/file`;
      try {
        return await putFile('glance', url, path, size, { 'x-auth-token': token.value }, {
          signal: opts.signal,
          onProgress: opts.onProgress,
          idleTimeoutMs: this.opts.uploadIdleTimeoutMs,
          progressEveryMs: this.opts.progressEveryMs,
        });
      } catch (err) {
        if (attempt === 1 && err instanceof OpenStackHttpError && err.status === 401) {
          this.opts.session.invalidate(token.value);
          continue;
        }
        throw err;
      }
    }
  }

  async importWebDownload(id: string, uri: string, opts: CallOptions = {}): Promise<void> {
    await this.call(`/v2/images/${encodeURIComponent(id)}/import`, {
      method: 'POST',
      body: { method: { name: 'web-download', uri } },
      signal: opts.signal,
    });
  }

  async addTag(id: string, tag: string, opts: CallOptions = {}): Promise<void> {
    await this.call(`/v2/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`, { method: 'PUT', signal: opts.signal });
  }

  async deleteImage(id: string, opts: CallOptions = {}): Promise<boolean> {
    try {
      await this.call(`/v2/images/${encodeURIComponent(id)}`, { method: 'DELETE', signal: opts.signal });
      return true;
    } catch (err) {
      if (err instanceof OpenStackHttpError && err.status === 404) return false;
      throw err;
    }
  }

  /** The image API's base URL, without a version suffix. */
  async base(signal?: AbortSignal): Promise<string> {
    const url = this.opts.endpoint ?? (await this.opts.session.endpoint('image', { region: this.opts.region, interface: this.opts.interface }, signal));
    return url.replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
  }

  private async call<T>(path: string, opts: RequestOptions): Promise<JsonResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.session.token(opts.signal);
      const url = `${await this.base(opts.signal)}${path}`;
      try {
        return await requestJson<T>('glance', url, {
          ...opts,
          timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs,
          headers: { ...opts.headers, 'x-auth-token': token.value },
        });
      } catch (err) {
        if (attempt === 1 && err instanceof OpenStackHttpError && err.status === 401) {
          this.opts.session.invalidate(token.value);
          continue;
        }
        throw err;
      }
    }
  }
}

function checkImage(body: unknown, what: string): GlanceImage {
  const img = body as GlanceImage | undefined;
  if (!img || typeof img.id !== 'string' || typeof img.status !== 'string') {
    throw new OpenStackProtocolError(`glance ${what}: the answer is not an image`);
  }
  return img;
}
