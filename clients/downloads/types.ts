// The download-server destination as plain data and one narrow storage interface. The policy of
// publishing a set (check everything first, images before the CHECKSUM file, never overwrite)
// lives once in publish-set.ts; a backend only knows how to look at and atomically write one key.

/** One file a worker host staged, as the conversion step measured it. */
export interface FileFacts {
  /** Local path on this host. */
  path: string;
  /** Published file name (the last path component). */
  name: string;
  size: number;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
}

/** Where an image set goes, the values the layout template is filled with. */
export interface SetPlace {
  release: string;
  family: string;
  arch: string;
}

/** One arch's files: the images, then the CHECKSUM file that covers them. */
export interface ImageSet extends SetPlace {
  files: FileFacts[];
  checksumFile: FileFacts;
}

export type PublishState = 'uploaded' | 'unchanged';

export interface PublishedFile {
  name: string;
  /** Path below the directory root, or the S3 object key. */
  key: string;
  /** Set when the destination has a `publicUrl`. */
  url?: string;
  size: number;
  sha256: string;
  state: PublishState;
}

/** What is stored under a key now, compared with the file meant to be published there. */
export type Existing = { state: 'absent' } | { state: 'same' } | { state: 'different'; detail: string };

/**
 * An S3 multipart upload in flight. Enough to continue it from another process: the parts
 * themselves are listed from S3 (ListParts), `partsDone` is what this process saw finish.
 * `size`/`sha256` tie it to one content, so a changed file never continues an old upload.
 */
export interface MultipartResume {
  uploadId: string;
  partSize: number;
  size: number;
  sha256: string;
  partsDone: number[];
}

export interface PutProgress {
  bytesDone: number;
  bytesTotal: number;
  /** Present while an S3 multipart upload is in flight. */
  multipart?: MultipartResume;
}

export interface CheckOptions {
  signal?: AbortSignal;
  /** Called while a directory backend hashes an existing file (that can take a while). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface PutOptions {
  signal?: AbortSignal;
  onProgress?: (p: PutProgress) => void;
  /** An earlier attempt's upload of this same key, from its progress reports. */
  resume?: MultipartResume;
}

/**
 * One download destination. `put` is atomic for readers (a reader sees the old state or the
 * whole new file, never a part) and never overwrites: when the key appeared meanwhile it writes
 * nothing and answers 'exists', and the caller looks again.
 */
export interface DownloadTarget {
  /** For messages and logs, e.g. "directory /srv/pub" or "s3://fedora-images". */
  readonly description: string;
  /** The key of `file` in the set at `place`; throws BadFileNameError for unsafe components. */
  keyFor(place: SetPlace, file: string): string;
  urlFor(key: string): string | undefined;
  check(key: string, file: FileFacts, opts?: CheckOptions): Promise<Existing>;
  put(key: string, file: FileFacts, opts?: PutOptions): Promise<'written' | 'exists'>;
}
