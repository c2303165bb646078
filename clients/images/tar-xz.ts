// <name>.raw.tar.xz: GNU tar in sparse mode (holes are recorded, not stored) piped into
// multi-threaded xz, the compressed stream teed through sha256 into the file. The tar stream is
// made reproducible (fixed owner, mode and mtime) so running the stage twice gives the same bytes.
import { basename, dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DiskFullError, OutputInvalidError } from './errors';
import { writeHashed } from './hashing';
import type { HashedFile } from './hashing';
import { startTool } from './tool';
import type { ToolRun } from './tool';
import { firstFailure } from './settle';

export interface TarXzOptions {
  /** Directory holding the raw file, and the member's name inside the tar (e.g. X.raw). */
  dir: string;
  member: string;
  /** xz -T: 0 means one thread per core. */
  xzThreads: number;
  /** mtime recorded for the member (seconds since the epoch). */
  mtimeSeconds: number;
  signal?: AbortSignal | undefined;
  /** Bytes of tar stream produced so far (roughly the raw's allocated data). */
  onProgress?: (tarBytes: number) => void;
}

function counter(onBytes?: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      onBytes?.(total);
      cb(null, chunk);
    },
  });
}

export async function writeSparseTarXz(dest: string, options: TarXzOptions): Promise<HashedFile> {
  const { signal } = options;
  const internal = new AbortController();
  const onAbort = () => internal.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const runs: ToolRun[] = [];
  try {
    const tar = startTool(
      'tar',
      [
        '--create',
        '--file=-',
        '--sparse',
        '--format=gnu',
        '--numeric-owner',
        '--owner=0',
        '--group=0',
        '--mode=u=rw,go=r',
        `--mtime=@${Math.trunc(options.mtimeSeconds)}`,
        '--directory',
        options.dir,
        '--',
        options.member,
      ],
      { signal: internal.signal, stdout: 'pipe' },
    );
    runs.push(tar);
    const xz = startTool('xz', [`-T${options.xzThreads}`, '--compress', '--stdout', '-'], {
      signal: internal.signal,
      stdin: 'pipe',
      stdout: 'pipe',
      classify: (f) => (/No space left/i.test(f.stderr) ? new DiskFullError(`No space left while xz compressed (${f.stderr}).`, dirname(dest)) : undefined),
    });
    runs.push(xz);
    if (!tar.stdout || !xz.stdin || !xz.stdout) throw new Error('tar/xz pipes missing');
    const feed = pipeline(tar.stdout, counter(options.onProgress), xz.stdin);
    const write = writeHashed(xz.stdout, dest);
    const results = await firstFailure([tar.done, xz.done, feed, write], () => {
      for (const r of runs) r.kill();
    });
    if (signal?.aborted) throw signal.reason;
    return results[3] as HashedFile;
  } catch (err) {
    for (const r of runs) r.kill();
    await Promise.allSettled(runs.map((r) => r.done));
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export interface TarListing {
  mode: string;
  size: number;
  name: string;
  /** GNU sparse member (type flag 'S' in the first header). */
  sparse: boolean;
  /** Size of the uncompressed tar stream. */
  streamBytes: number;
}

/** Decompress with xz and list with GNU tar; the first header's type flag tells sparse members. */
export async function listTarXz(path: string, xzThreads: number, signal?: AbortSignal): Promise<TarListing[]> {
  const internal = new AbortController();
  const onAbort = () => internal.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const runs: ToolRun[] = [];
  let listing = '';
  let head = Buffer.alloc(0);
  let streamBytes = 0;
  try {
    const xz = startTool('xz', [`-T${xzThreads}`, '--decompress', '--stdout', '--', path], { signal: internal.signal, stdout: 'pipe' });
    runs.push(xz);
    const tar = startTool('tar', ['--list', '--verbose', '--numeric-owner', '--file=-'], {
      signal: internal.signal,
      stdin: 'pipe',
      stdout: 'pipe',
      onStdout: (t) => (listing += t),
    });
    runs.push(tar);
    if (!xz.stdout || !tar.stdin) throw new Error('xz/tar pipes missing');
    // GNU tar stops reading at the end-of-archive blocks and exits; xz may still be writing the
    // rest (record padding). Feed tar while it reads, then drain xz to its end so that xz still
    // checks the whole stream (and exits 0) instead of dying of a broken pipe.
    const tarIn = tar.stdin;
    const xzOut = xz.stdout;
    const feed = (async () => {
      let tarOpen = true;
      const closed = new Promise<void>((resolve) => {
        tarIn.once('close', resolve);
        tarIn.on('error', () => resolve()); // EPIPE once tar has exited: expected, see above
      }).then(() => {
        tarOpen = false;
      });
      for await (const chunk of xzOut as AsyncIterable<Buffer>) {
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        streamBytes += chunk.length;
        if (tarOpen && !tarIn.write(chunk)) await Promise.race([new Promise((r) => tarIn.once('drain', r)), closed]);
      }
      if (tarOpen) tarIn.end();
    })();
    await firstFailure([xz.done, tar.done, feed], () => {
      for (const r of runs) r.kill();
    });
  } catch (err) {
    for (const r of runs) r.kill();
    await Promise.allSettled(runs.map((r) => r.done));
    if (signal?.aborted) throw signal.reason;
    throw new OutputInvalidError(`${basename(path)} could not be listed: ${(err as Error).message}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const sparseFirst = firstMemberType(head) === 'S';
  return listing
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const m = /^(\S+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.+)$/.exec(line);
      if (!m) throw new OutputInvalidError(`unexpected tar listing line: ${line}`);
      return { mode: m[1] ?? '', size: Number(m[2]), name: m[3] ?? '', sparse: i === 0 && sparseFirst, streamBytes };
    });
}

const HEAD_BYTES = 8192;

/** Type flag of the first member, past GNU long-name ('L', 'K') and pax ('x', 'g') headers. */
export function firstMemberType(head: Buffer): string | undefined {
  let off = 0;
  while (off + 512 <= head.length) {
    const type = String.fromCharCode(head[off + 156] ?? 0);
    if (!'LKxg'.includes(type)) return type;
    const size = parseInt(head.subarray(off + 124, off + 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
    if (!Number.isFinite(size)) return undefined;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

export interface TarXzExpectation {
  member: string;
  size: number;
  /** The raw has holes, so the member must be stored sparse. */
  sparse: boolean;
  xzThreads: number;
}

export async function validateTarXz(path: string, want: TarXzExpectation, signal?: AbortSignal): Promise<TarListing> {
  const entries = await listTarXz(path, want.xzThreads, signal);
  const name = basename(path);
  const problems: string[] = [];
  const entry = entries[0];
  if (entries.length !== 1 || !entry) problems.push(`it holds ${entries.length} members, expected exactly ${want.member}`);
  else {
    if (entry.name !== want.member) problems.push(`its member is ${entry.name}, expected ${want.member}`);
    if (!entry.mode.startsWith('-')) problems.push(`its member is not a regular file (${entry.mode})`);
    if (entry.size !== want.size) problems.push(`its member has ${entry.size} bytes, the raw image ${want.size}`);
    if (want.sparse && !entry.sparse) problems.push('its member is not stored sparse');
  }
  if (problems.length > 0 || !entry) {
    throw new OutputInvalidError(`${name} failed validation: ${problems.join('; ')}. The output was removed; the stage can be retried.`);
  }
  return entry;
}
