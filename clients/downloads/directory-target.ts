// A local (or NFS-mounted) directory tree served by a web server. Each file is written under a
// hidden temporary name in its final directory, fsynced, then renamed into place, and the
// directory is fsynced so the rename survives a crash: a reader sees no file or the whole file.
import { createHash } from 'node:crypto';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { TargetMisconfiguredError } from './errors';
import { compileLayout, publicUrlFor } from './layout';
import { partialName, sweepAbandonedPartials } from './partial-files';
import { CHUNK, assertDigest, openSource, readRange, sha256OfFile } from './source-file';
import type { CheckOptions, DownloadTarget, Existing, FileFacts, PutOptions } from './types';

export interface DirectoryTargetOptions {
  root: string;
  /** e.g. "{release}/{family}/{arch}/images/{file}" */
  layout: string;
  publicUrl?: string;
  /** A temporary file from another host untouched this long is removed (default 6 h). */
  staleAfterMs?: number;
}

/** Progress is reported about every this many bytes copied. */
const REPORT_EVERY = 8 * CHUNK;

export function createDirectoryTarget(options: DirectoryTargetOptions): DownloadTarget {
  const root = resolve(options.root);
  const layout = compileLayout(options.layout);
  const pathOf = (key: string) => join(root, ...key.split('/'));

  async function assertRoot(): Promise<void> {
    await mkdir(root, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new TargetMisconfiguredError(`downloads root ${root} cannot be created: ${err.code ?? err.message}`, { cause: err });
    });
  }

  return {
    description: `directory ${root}`,
    keyFor: (place, file) => layout.keyFor(place, file),
    urlFor: (key) => publicUrlFor(options.publicUrl, key),

    async check(key: string, file: FileFacts, opts: CheckOptions = {}): Promise<Existing> {
      const path = pathOf(key);
      const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (st === undefined) return { state: 'absent' };
      if (!st.isFile()) return { state: 'different', detail: 'not a regular file' };
      if (st.size !== file.size) return { state: 'different', detail: `${st.size} bytes, this file has ${file.size}` };
      const sha256 = await sha256OfFile(path, opts);
      if (sha256 !== file.sha256) return { state: 'different', detail: `sha256 ${sha256}, this file has ${file.sha256}` };
      return { state: 'same' };
    },

    async put(key: string, file: FileFacts, opts: PutOptions = {}): Promise<'written' | 'exists'> {
      const { signal, onProgress } = opts;
      await assertRoot();
      const dest = pathOf(key);
      const dir = dirname(dest);
      await mkdir(dir, { recursive: true });
      // A name of our own, not a fixed one: a timed-out attempt that is still running elsewhere
      // must never share (and truncate) this attempt's temporary file. What a killed attempt
      // left goes first, or it would stay in the published tree for good.
      await sweepAbandonedPartials(dir, basename(dest), options.staleAfterMs);
      const tmp = join(dir, partialName(basename(dest)));
      const src = await openSource(file);
      let renamed = false;
      try {
        const out = await open(tmp, 'wx', 0o644);
        try {
          const hash = createHash('sha256');
          let done = 0;
          let reported = 0;
          while (done < file.size) {
            signal?.throwIfAborted();
            const buf = await readRange(src, done, Math.min(CHUNK, file.size - done), file.path);
            hash.update(buf);
            await out.write(buf, 0, buf.length, done);
            done += buf.length;
            if (done - reported >= REPORT_EVERY) {
              reported = done;
              onProgress?.({ bytesDone: done, bytesTotal: file.size });
            }
          }
          assertDigest(file, hash.digest('hex'));
          await out.sync();
        } finally {
          await out.close();
        }
        signal?.throwIfAborted();
        // rename() would replace a file that appeared since the caller's check; look first.
        // The window left is tiny and only another publisher of the very same set could use it.
        const present = await lstat(dest).then(
          () => true,
          (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
        );
        if (present) return 'exists';
        await rename(tmp, dest);
        renamed = true;
        await fsyncDir(dir);
        onProgress?.({ bytesDone: file.size, bytesTotal: file.size });
        return 'written';
      } finally {
        await src.close();
        if (!renamed) await unlink(tmp).catch(() => undefined);
      }
    },
  };
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
