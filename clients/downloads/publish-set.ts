// Publishing one image set so that readers never see half of it: every name is checked before
// anything is written (a conflict anywhere writes nothing), then the images go up one by one and
// the CHECKSUM file last, so a CHECKSUM file present means every file it names is present.
// Re-running with the same files writes nothing; different content under a published name is
// refused, never overwritten.
import { BadFileNameError, DownloadConflictError, SourceMismatchError, type Conflict } from './errors';
import type { DownloadTarget, Existing, FileFacts, ImageSet, MultipartResume, PublishedFile } from './types';

/** What a later attempt needs to continue: the keys already written, and the upload in flight. */
export interface PublishResume {
  uploaded: string[];
  multipart?: MultipartResume & { key: string };
}

export interface PublishProgress {
  name: string;
  key: string;
  /** 'check': comparing with what is published; 'upload': writing. */
  phase: 'check' | 'upload';
  bytesDone: number;
  bytesTotal: number;
  resume: PublishResume;
}

export interface PublishOptions {
  signal?: AbortSignal;
  onProgress?: (p: PublishProgress) => void;
  /** The last `resume` an earlier attempt reported. */
  resume?: PublishResume;
}

export async function publishImageSet(target: DownloadTarget, set: ImageSet, opts: PublishOptions = {}): Promise<PublishedFile[]> {
  const { signal, onProgress } = opts;
  const files = [...set.files, set.checksumFile].map(normaliseFacts);
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new BadFileNameError('file', f.name, 'it appears twice in the set');
    names.add(f.name);
  }
  const keys = files.map((f) => target.keyFor(set, f.name));

  const uploaded = new Set(opts.resume?.uploaded ?? []);
  let multipart = opts.resume?.multipart;
  const resumeNow = (): PublishResume => (multipart ? { uploaded: [...uploaded], multipart } : { uploaded: [...uploaded] });

  // 1. Look at every name first.
  const existing: Existing[] = [];
  const conflicts: Conflict[] = [];
  for (const [i, f] of files.entries()) {
    const key = keys[i]!;
    signal?.throwIfAborted();
    const e = await target.check(key, f, {
      signal,
      onProgress: (bytesDone, bytesTotal) => onProgress?.({ name: f.name, key, phase: 'check', bytesDone, bytesTotal, resume: resumeNow() }),
    });
    if (e.state === 'different') conflicts.push({ key, detail: e.detail });
    existing.push(e);
  }
  if (conflicts.length > 0) throw new DownloadConflictError(conflicts, target.description);

  // 2. Write what is missing, in order: images, then the CHECKSUM file.
  const published: PublishedFile[] = [];
  for (const [i, f] of files.entries()) {
    const key = keys[i]!;
    let state: PublishedFile['state'];
    if (existing[i]!.state === 'same') {
      // Written by an earlier attempt of this same publication: still "uploaded" to the caller.
      state = uploaded.has(key) ? 'uploaded' : 'unchanged';
    } else {
      const written = await target.put(key, f, {
        signal,
        resume: multipart?.key === key ? multipart : undefined,
        onProgress: (p) => {
          if (p.multipart) multipart = { key, ...p.multipart };
          onProgress?.({ name: f.name, key, phase: 'upload', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, resume: resumeNow() });
        },
      });
      if (written === 'exists') {
        // Someone published this name between our check and our write: same content is fine.
        const again = await target.check(key, f, { signal });
        if (again.state === 'different') throw new DownloadConflictError([{ key, detail: again.detail }], target.description);
        state = 'unchanged';
      } else {
        uploaded.add(key);
        state = 'uploaded';
      }
      multipart = undefined;
      onProgress?.({ name: f.name, key, phase: 'upload', bytesDone: f.size, bytesTotal: f.size, resume: resumeNow() });
    }
    const url = target.urlFor(key);
    published.push({ name: f.name, key, ...(url !== undefined ? { url } : {}), size: f.size, sha256: f.sha256, state });
  }
  return published;
}

function normaliseFacts(f: FileFacts): FileFacts {
  const sha256 = f.sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new SourceMismatchError(f.path, `sha256 ${JSON.stringify(f.sha256)} is not 64 hex digits`);
  if (!Number.isSafeInteger(f.size) || f.size < 0) throw new SourceMismatchError(f.path, `size ${f.size} is not a byte count`);
  return { ...f, sha256 };
}
