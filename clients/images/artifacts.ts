// The artifact stage for one fetched image on one host:
//   fetched raw | raw.xz | qcow2  ->  <base>.raw (sparse)  ->  <base>.qcow2 (compressed)
//                                                          ->  <base>.raw.tar.xz (sparse tar)
//                                   + <base>-CHECKSUM, and size + sha256 of each file.
// Each step streams through a tool; the hashes are taken while writing (the raw and the tar.xz)
// or in one read pass of a file a tool wrote itself (a qcow2 source's raw, the qcow2 output).
// The two outputs are made at the same time. Everything is written in a work directory under
// the output directory and renamed into place when complete; on error or abort the children
// are killed and every file this call made is removed.
//
// Re-running is cheap and gives one result: a finished set is recognised by its manifest, and a
// raw left by an attempt that died (the worker crashed) is reused once its sha256 is confirmed.
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { formatChecksumFile } from './checksum-file';
import { checkRawContent, inspectImage, SNIFF_BYTES } from './detect';
import type { ImageFormat, ImageInfo } from './detect';
import { ArtifactRequestError, DiskFullError, ImageCorruptError, isEnospc } from './errors';
import { hashFile } from './hashing';
import { qcow2ToRaw, rawToCompressedQcow2, validateQcow2 } from './qemu-img';
import { firstFailure } from './settle';
import { SparseHashingWriter } from './sparse-writer';
import { validateTarXz, writeSparseTarXz } from './tar-xz';
import { startTool } from './tool';

export type OutputFormat = 'qcow2' | 'raw.tar.xz';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['qcow2', 'raw.tar.xz'];

export interface FileFacts {
  /** Absolute path on this host. */
  path: string;
  /** File name as published and as listed in CHECKSUM. */
  name: string;
  size: number;
  sha256: string;
}

export type ArtifactPhase = 'inspect' | 'raw' | 'convert' | 'checksum' | 'done';

export interface ArtifactProgress {
  phase: ArtifactPhase;
  sourceFormat?: ImageFormat;
  /** Raw image bytes produced so far, and its virtual size. */
  rawBytes: number;
  rawTotal: number;
  /** 0..1 per output while converting. */
  qcow2?: number;
  rawTarXz?: number;
  /** Present once the raw is complete: a later attempt on this host may reuse it (resumeRaw). */
  raw?: { size: number; sha256: string };
}

export interface PrepareArtifactsOptions {
  sourcePath: string;
  /** Directory for the finished files (created); holds nothing else of ours. */
  outDir: string;
  /** e.g. Fedora-Cloud-Base-Generic-44-1.7.x86_64 -> .raw, .qcow2, .raw.tar.xz, -CHECKSUM */
  baseName: string;
  outputs: readonly OutputFormat[];
  /** Refuse images whose virtual size is above this, before converting anything. */
  maxImageBytes: number;
  /** qemu-img convert -m (parallel coroutines, 1..16). Default 8. */
  qemuParallelism?: number;
  /** xz -T (0 = one per core). Default 0. */
  xzThreads?: number;
  signal?: AbortSignal;
  onProgress?: (p: ArtifactProgress) => void;
  /** Minimum time between progress reports (phase changes are always reported). Default 1000. */
  progressIntervalMs?: number;
  /** The raw a previous attempt finished (from its progress); reused if the file still matches. */
  resumeRaw?: { size: number; sha256: string };
}

export interface PreparedArtifacts {
  source: ImageInfo;
  raw: FileFacts;
  /** Bytes the sparse raw occupies on disk. */
  rawAllocatedBytes: number;
  qcow2?: FileFacts;
  rawTarXz?: FileFacts;
  checksumFile: FileFacts;
  /** What was reused rather than made: a whole finished set, or the raw of an earlier attempt. */
  reused: 'none' | 'raw' | 'all';
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const MANIFEST = '.artifacts.json';
const WORK_PREFIX = '.work-';

export function artifactNames(baseName: string) {
  return {
    raw: `${baseName}.raw`,
    qcow2: `${baseName}.qcow2`,
    rawTarXz: `${baseName}.raw.tar.xz`,
    checksum: `${baseName}-CHECKSUM`,
  };
}

export async function prepareArtifacts(opts: PrepareArtifactsOptions): Promise<PreparedArtifacts> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const outputs = checkRequest(opts);
  const outDir = resolve(opts.outDir);
  const names = artifactNames(opts.baseName);
  const progress = new ProgressReporter(opts.onProgress, opts.progressIntervalMs ?? 1000);

  progress.update({ phase: 'inspect' }, true);
  const source = await inspectImage(resolve(opts.sourcePath), { maxImageBytes: opts.maxImageBytes, signal });
  const finalPaths = Object.values(names).map((n) => join(outDir, n));
  if (finalPaths.includes(source.path)) {
    throw new ArtifactRequestError(`the source ${source.path} has the name of an output; fetch it under another name (e.g. with its original suffix).`);
  }
  progress.update({ sourceFormat: source.format, rawTotal: source.virtualSize });

  await mkdir(outDir, { recursive: true });
  const key: ManifestKey = { sourcePath: source.path, sourceSize: source.fileSize, sourceMtimeMs: source.mtimeMs, baseName: opts.baseName, outputs };
  const previous = await readManifest(outDir, key);
  if (previous) {
    progress.update({ phase: 'done', rawBytes: previous.raw.size, raw: { size: previous.raw.size, sha256: previous.raw.sha256 } }, true);
    return { ...previous, source, reused: 'all' };
  }
  await removeStaleWork(outDir);
  // A finished set for other outputs (or another source) is superseded: no stale file may stay.
  await rm(join(outDir, MANIFEST), { force: true });
  if (!outputs.includes('qcow2')) await rm(join(outDir, names.qcow2), { force: true });
  if (!outputs.includes('raw.tar.xz')) await rm(join(outDir, names.rawTarXz), { force: true });

  const work = await mkdtemp(join(outDir, WORK_PREFIX)).catch((err: unknown) => {
    throw isEnospc(err) ? new DiskFullError(`No space left on the staging file system at ${outDir} (not even for a directory).`, outDir, { cause: err }) : err;
  });
  const internal = new AbortController();
  const onAbort = () => internal.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // 1. the sparse raw, hashed while written; renamed into place as a checkpoint
    progress.update({ phase: 'raw' }, true);
    const rawPath = join(outDir, names.raw);
    let reused: PreparedArtifacts['reused'] = 'none';
    let raw = opts.resumeRaw ? await reusableRaw(rawPath, opts.resumeRaw, source.virtualSize, internal.signal) : undefined;
    if (raw) reused = 'raw';
    else {
      const tmp = join(work, names.raw);
      const made = await makeRaw(source, tmp, opts.xzThreads ?? 0, internal.signal, (n) => progress.update({ rawBytes: n }));
      await rename(tmp, rawPath);
      raw = { path: rawPath, name: names.raw, size: made.size, sha256: made.sha256 };
    }
    const rawAllocatedBytes = (await stat(rawPath)).blocks * 512;
    progress.update({ rawBytes: raw.size, raw: { size: raw.size, sha256: raw.sha256 } }, true);

    // 2. the outputs, side by side, each hashed and checked before it counts
    progress.update({ phase: 'convert', ...(outputs.includes('qcow2') ? { qcow2: 0 } : {}), ...(outputs.includes('raw.tar.xz') ? { rawTarXz: 0 } : {}) }, true);
    const branches: Promise<FileFacts | undefined>[] = [
      outputs.includes('qcow2')
        ? makeQcow2(raw, join(work, names.qcow2), opts.qemuParallelism ?? 8, internal.signal, (f) => progress.update({ qcow2: f }))
        : Promise.resolve(undefined),
      outputs.includes('raw.tar.xz')
        ? makeTarXz(raw, rawAllocatedBytes, outDir, join(work, names.rawTarXz), opts.xzThreads ?? 0, REPRODUCIBLE_MTIME_MS, internal.signal, (f) => progress.update({ rawTarXz: f }))
        : Promise.resolve(undefined),
    ];
    const [qcow2Tmp, tarTmp] = (await firstFailure(branches, () => internal.abort(new Error('a sibling output failed')))) as [FileFacts | undefined, FileFacts | undefined];

    // 3. CHECKSUM over the published outputs (the raw too when it is the only file)
    progress.update({ phase: 'checksum' }, true);
    const listed = [qcow2Tmp, tarTmp].filter((f): f is FileFacts => f !== undefined);
    const checksumText = formatChecksumFile(listed.length > 0 ? listed : [raw]);
    const checksumTmp = join(work, names.checksum);
    await writeFile(checksumTmp, checksumText, { flag: 'wx' });

    signal?.throwIfAborted();
    const place = async (f: FileFacts | undefined): Promise<FileFacts | undefined> => {
      if (!f) return undefined;
      const path = join(outDir, f.name);
      await rename(f.path, path);
      return { ...f, path };
    };
    const qcow2 = await place(qcow2Tmp);
    const rawTarXz = await place(tarTmp);
    const checksumFile = (await place({
      path: checksumTmp,
      name: names.checksum,
      size: Buffer.byteLength(checksumText),
      sha256: createHash('sha256').update(checksumText).digest('hex'),
    })) as FileFacts;
    const result: PreparedArtifacts = {
      source,
      raw,
      rawAllocatedBytes,
      ...(qcow2 ? { qcow2 } : {}),
      ...(rawTarXz ? { rawTarXz } : {}),
      checksumFile,
      reused,
    };
    await writeManifest(outDir, work, key, result);
    await rm(work, { recursive: true, force: true });
    progress.update({ phase: 'done' }, true);
    return result;
  } catch (err) {
    internal.abort(err);
    await rm(work, { recursive: true, force: true });
    await Promise.all([...finalPaths, join(outDir, MANIFEST)].filter((p) => p !== source.path).map((p) => rm(p, { force: true })));
    if (signal?.aborted) throw signal.reason;
    if (isEnospc(err)) {
      // e.g. the CHECKSUM or the manifest: the tools' and writers' own ENOSPC are mapped already
      throw new DiskFullError(`No space left on the staging file system at ${outDir}. Free space there or run the stage on a host with more room.`, outDir, { cause: err });
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Remove everything staged in a directory; nothing there is fine too. */
export async function removeStagedDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function checkRequest(opts: PrepareArtifactsOptions): OutputFormat[] {
  if (!NAME_RE.test(opts.baseName) || opts.baseName.length > 200) {
    throw new ArtifactRequestError(`baseName ${JSON.stringify(opts.baseName)} is not a plain file name (letters, digits, ".", "_", "+", "-").`);
  }
  const unknown = opts.outputs.filter((o) => !OUTPUT_FORMATS.includes(o));
  if (unknown.length > 0) throw new ArtifactRequestError(`unknown outputs ${unknown.join(', ')}; choose from ${OUTPUT_FORMATS.join(', ')}.`);
  if (!Number.isSafeInteger(opts.maxImageBytes) || opts.maxImageBytes <= 0) throw new ArtifactRequestError('maxImageBytes must be a positive integer.');
  return OUTPUT_FORMATS.filter((o) => opts.outputs.includes(o));
}

// ---- the raw ---------------------------------------------------------------------------------

async function makeRaw(source: ImageInfo, dest: string, xzThreads: number, signal: AbortSignal, onBytes: (n: number) => void): Promise<{ size: number; sha256: string }> {
  const name = basename(source.path);
  if (source.format === 'qcow2') {
    // qemu-img needs a seekable output, so it writes the file and the hash is one read pass.
    await qcow2ToRaw(source.path, dest, { signal, onProgress: (f) => onBytes(Math.round(f * source.virtualSize)) });
    const h = await hashFile(dest, signal);
    if (h.size !== source.virtualSize) {
      throw new ImageCorruptError(`${name}: qemu-img produced ${h.size} bytes, the header announced ${source.virtualSize}. Fetch the image again.`);
    }
    return h;
  }
  const writer = await SparseHashingWriter.create(dest, {
    expectedSize: source.virtualSize,
    sourceName: name,
    headBytes: SNIFF_BYTES,
    // A raw source was sniffed already; what comes out of an xz must be a raw disk too.
    ...(source.format === 'raw.xz' ? { checkHead: (head: Buffer) => checkRawContent(name, head) } : {}),
  });
  try {
    if (source.format === 'raw') await copyFile(source.path, writer, signal, onBytes);
    else await decompressXz(source.path, writer, xzThreads, signal, onBytes);
    return await writer.finish();
  } finally {
    await writer.close();
  }
}

async function copyFile(path: string, writer: SparseHashingWriter, signal: AbortSignal, onBytes: (n: number) => void): Promise<void> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      signal.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, writer.bytesDone);
      if (bytesRead === 0) break;
      await writer.write(buf.subarray(0, bytesRead));
      onBytes(writer.bytesDone);
    }
  } finally {
    await fh.close();
  }
}

async function decompressXz(path: string, writer: SparseHashingWriter, xzThreads: number, signal: AbortSignal, onBytes: (n: number) => void): Promise<void> {
  const name = basename(path);
  const xz = startTool('xz', [`-T${xzThreads}`, '--decompress', '--stdout', '--', path], {
    signal,
    stdout: 'pipe',
    classify: (f) =>
      new ImageCorruptError(`${name} could not be decompressed (${f.stderr.split('\n').at(-1) || `xz status ${f.exitCode}`}); it is corrupt or truncated. Fetch the image again and verify its sha256.`),
  });
  const consume = (async () => {
    if (!xz.stdout) throw new Error('xz stdout missing');
    for await (const chunk of xz.stdout as AsyncIterable<Buffer>) {
      await writer.write(chunk);
      onBytes(writer.bytesDone);
    }
    await xz.done; // xz's own verdict on the stream before the size check in finish()
  })();
  await firstFailure([xz.done, consume], () => xz.kill());
}

async function reusableRaw(path: string, want: { size: number; sha256: string }, virtualSize: number, signal: AbortSignal): Promise<FileFacts | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st || st.size !== want.size || want.size !== virtualSize) return undefined;
  const h = await hashFile(path, signal);
  return h.sha256 === want.sha256 ? { path, name: basename(path), size: h.size, sha256: h.sha256 } : undefined;
}

// ---- the outputs -----------------------------------------------------------------------------

async function makeQcow2(raw: FileFacts, dest: string, parallelism: number, signal: AbortSignal, onFraction: (f: number) => void): Promise<FileFacts> {
  await rawToCompressedQcow2(raw.path, dest, { parallelism, signal, onProgress: onFraction });
  const [h] = await Promise.all([hashFile(dest, signal), validateQcow2(dest, raw.size, signal)]);
  onFraction(1);
  return { path: dest, name: basename(dest), size: h.size, sha256: h.sha256 };
}

/**
 * The raw member's mtime inside the tar. Fixed, not the fetched file's: the same image must give
 * the same tar.xz bytes on every run and host, or a re-run would find "different content" under
 * a published name and (rightly) refuse to overwrite it.
 */
const REPRODUCIBLE_MTIME_MS = 0;

async function makeTarXz(
  raw: FileFacts,
  rawAllocatedBytes: number,
  rawDir: string,
  dest: string,
  xzThreads: number,
  mtimeMs: number,
  signal: AbortSignal,
  onFraction: (f: number) => void,
): Promise<FileFacts> {
  const h = await writeSparseTarXz(dest, {
    dir: rawDir,
    member: raw.name,
    xzThreads,
    mtimeSeconds: mtimeMs / 1000,
    signal,
    onProgress: (n) => onFraction(Math.min(0.99, n / Math.max(1, rawAllocatedBytes))),
  });
  await validateTarXz(dest, { member: raw.name, size: raw.size, sparse: rawAllocatedBytes < raw.size, xzThreads }, signal);
  onFraction(1);
  return { path: dest, name: basename(dest), size: h.size, sha256: h.sha256 };
}

// ---- re-runs ---------------------------------------------------------------------------------

interface ManifestKey {
  sourcePath: string;
  sourceSize: number;
  sourceMtimeMs: number;
  baseName: string;
  outputs: OutputFormat[];
}

type ManifestResult = Omit<PreparedArtifacts, 'source' | 'reused'>;

async function readManifest(outDir: string, key: ManifestKey): Promise<ManifestResult | undefined> {
  let parsed: { key?: ManifestKey; result?: ManifestResult };
  try {
    parsed = JSON.parse(await readFile(join(outDir, MANIFEST), 'utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (JSON.stringify(parsed.key) !== JSON.stringify(key) || !parsed.result) return undefined;
  const r = parsed.result;
  for (const f of [r.raw, r.qcow2, r.rawTarXz, r.checksumFile]) {
    if (!f) continue;
    const st = await stat(f.path).catch(() => undefined);
    if (!st || st.size !== f.size) return undefined;
  }
  return r;
}

async function writeManifest(outDir: string, work: string, key: ManifestKey, result: PreparedArtifacts): Promise<void> {
  const { source: _source, reused: _reused, ...rest } = result;
  const tmp = join(work, MANIFEST);
  await writeFile(tmp, JSON.stringify({ key, result: rest }, null, 2));
  await rename(tmp, join(outDir, MANIFEST));
}

/** Work directories left by attempts whose process died (no cleanup ran). */
async function removeStaleWork(outDir: string): Promise<void> {
  const entries = await readdir(outDir).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => e.startsWith(WORK_PREFIX)).map((e) => rm(join(outDir, e), { recursive: true, force: true })));
}

// ---- progress --------------------------------------------------------------------------------

class ProgressReporter {
  private state: ArtifactProgress = { phase: 'inspect', rawBytes: 0, rawTotal: 0 };
  private last = 0;
  constructor(
    private readonly sink: ((p: ArtifactProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}
  update(patch: Partial<ArtifactProgress>, force = false): void {
    this.state = { ...this.state, ...patch };
    if (!this.sink) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    this.sink({ ...this.state });
  }
}
