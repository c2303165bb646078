// What a fetched image is, from its bytes: qcow2, xz (holding a raw disk) or raw. The file name
// only sets an expectation; when name and content disagree the image is refused, because a
// wrong guess either fails late (an HTML error page "converted" as raw) or is unsafe (a qcow2
// header read as raw, or a qcow2 pointing at a backing file on this host).
// The virtual size comes from the header (qcow2), the xz index (raw.xz) or the file size (raw),
// so the size limit is enforced before any conversion starts.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ArtifactRequestError, ImageCorruptError, ImageFormatError, ImageTooLargeError } from './errors';
import { runTool } from './tool';

export type ImageFormat = 'raw' | 'raw.xz' | 'qcow2';

export interface ImageInfo {
  path: string;
  format: ImageFormat;
  /** Size of the disk the image describes (the raw output's size). */
  virtualSize: number;
  /** Size of the file as fetched. */
  fileSize: number;
  mtimeMs: number;
}

interface Magic {
  label: string;
  offset: number;
  bytes: Buffer;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]); // "QFI\xfb"
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Formats we recognise only to name them in the refusal. */
const OTHER_MAGICS: Magic[] = [
  { label: 'a gzip file', offset: 0, bytes: Buffer.from([0x1f, 0x8b]) },
  { label: 'a zstd file', offset: 0, bytes: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]) },
  { label: 'a bzip2 file', offset: 0, bytes: Buffer.from('BZh') },
  { label: 'a VMDK image', offset: 0, bytes: Buffer.from('KDMV') },
  { label: 'a VHDX image', offset: 0, bytes: Buffer.from('vhdxfile') },
  { label: 'a tar archive', offset: 257, bytes: Buffer.from('ustar') },
  { label: 'an HTML page', offset: 0, bytes: Buffer.from('<!DOCTYPE') },
  { label: 'an HTML page', offset: 0, bytes: Buffer.from('<html') },
];

/** Bytes needed by sniff(): the qcow2 header and the tar magic both fit. */
export const SNIFF_BYTES = 4096;

export type Sniffed = { kind: 'qcow2' } | { kind: 'xz' } | { kind: 'raw' } | { kind: 'other'; label: string };

export function sniff(head: Buffer): Sniffed {
  if (startsWith(head, QCOW2_MAGIC, 0)) return { kind: 'qcow2' };
  if (startsWith(head, XZ_MAGIC, 0)) return { kind: 'xz' };
  for (const m of OTHER_MAGICS) if (startsWith(head, m.bytes, m.offset)) return { kind: 'other', label: m.label };
  return { kind: 'raw' };
}

function startsWith(buf: Buffer, magic: Buffer, offset: number): boolean {
  return buf.length >= offset + magic.length && buf.subarray(offset, offset + magic.length).equals(magic);
}

/** The format a file's name promises, if its suffix is one we know. */
export function formatFromName(name: string): ImageFormat | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.qcow2')) return 'qcow2';
  if (n.endsWith('.raw.xz') || n.endsWith('.img.xz')) return 'raw.xz';
  if (n.endsWith('.raw') || n.endsWith('.img')) return 'raw';
  return undefined;
}

function describe(s: Sniffed, head: Buffer): string {
  switch (s.kind) {
    case 'qcow2':
      return 'a qcow2 image';
    case 'xz':
      return 'an xz stream';
    case 'other':
      return s.label;
    case 'raw': {
      const shown = head.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim();
      return `not a known image header (first bytes: ${shown})`;
    }
  }
}

const FORMAT_OF: Record<Exclude<Sniffed['kind'], 'other'>, ImageFormat> = { qcow2: 'qcow2', xz: 'raw.xz', raw: 'raw' };

/** Decide the format from the content, refusing when the name promises something else. */
export function decideFormat(name: string, head: Buffer): ImageFormat {
  const s = sniff(head);
  const expected = formatFromName(name);
  const fix = 'Check which file the Koji task produced (the fetch may have saved an error page or another output) and fetch the right one.';
  if (s.kind === 'other') {
    throw new ImageFormatError(`${name} is ${describe(s, head)}, not a raw, raw.xz or qcow2 disk image. ${fix}`);
  }
  const found = FORMAT_OF[s.kind];
  if (expected !== undefined && expected !== found) {
    const wanted = { qcow2: 'a qcow2 image (magic "QFI\\xfb")', 'raw.xz': 'an xz stream (magic fd 37 7a 58 5a 00)', raw: 'a raw disk' }[expected];
    throw new ImageFormatError(`${name} is named like ${wanted} but its content is ${describe(s, head)}. ${fix}`);
  }
  return found;
}

/** Refuse a decompressed "raw" disk whose first bytes are another container format. */
export function checkRawContent(name: string, head: Buffer): void {
  const s = sniff(head);
  if (s.kind !== 'raw') {
    throw new ImageFormatError(
      `${name} decompresses to ${describe(s, head)}, not a raw disk; only raw disks are accepted inside .xz. Check the build's output format.`,
    );
  }
}

interface Qcow2Header {
  version: number;
  virtualSize: number;
  hasBackingFile: boolean;
  encrypted: boolean;
  externalDataFile: boolean;
}

export function parseQcow2Header(name: string, head: Buffer): Qcow2Header {
  if (head.length < 104 || !startsWith(head, QCOW2_MAGIC, 0)) {
    throw new ImageCorruptError(`${name}: the qcow2 header is truncated (${head.length} bytes). Fetch the image again.`);
  }
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    throw new ImageFormatError(`${name}: qcow2 version ${version} is not supported (only 2 and 3).`);
  }
  const virtualSize = Number(head.readBigUInt64BE(24));
  const incompatible = version === 3 ? head.readBigUInt64BE(72) : 0n;
  return {
    version,
    virtualSize,
    hasBackingFile: head.readBigUInt64BE(8) !== 0n,
    encrypted: head.readUInt32BE(32) !== 0,
    externalDataFile: (incompatible & 0b100n) !== 0n,
  };
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Uncompressed size from the xz index (at the file's end); a damaged index fails here. */
export async function xzUncompressedSize(path: string, signal?: AbortSignal): Promise<number> {
  const name = basename(path);
  const { stdout } = await runTool('xz', ['--robot', '--list', '--', path], {
    signal,
    classify: (f) =>
      new ImageCorruptError(`${name} is not a complete xz file (${lastLine(f.stderr)}); it is corrupt or truncated. Fetch the image again and verify its sha256.`),
  });
  const totals = stdout.split('\n').find((l) => l.startsWith('totals\t'));
  const uncompressed = Number(totals?.split('\t')[4]);
  if (!Number.isSafeInteger(uncompressed)) {
    throw new ImageCorruptError(`${name}: xz could not tell the uncompressed size (${JSON.stringify(totals)}). Fetch the image again.`);
  }
  return uncompressed;
}

/** Checks the qcow2 metadata (L1/L2/refcount tables) before reading it; leaks alone are harmless. */
async function checkQcow2Input(path: string, signal?: AbortSignal): Promise<void> {
  const name = basename(path);
  await runTool('qemu-img', ['check', '-f', 'qcow2', '--output=json', path], {
    signal,
    okExitCodes: [0, 3],
    classify: (f) =>
      f.exitCode === 2 || f.exitCode === 1
        ? new ImageCorruptError(`${name} is a damaged qcow2 (qemu-img check: ${firstLine(f.stderr) || `status ${f.exitCode}`}). Fetch the image again; if it stays damaged the build produced a broken image.`)
        : undefined,
  });
}

export interface InspectOptions {
  maxImageBytes: number;
  signal?: AbortSignal | undefined;
}

/** Format and virtual size of a fetched image, refusing what we cannot or must not convert. */
export async function inspectImage(path: string, { maxImageBytes, signal }: InspectOptions): Promise<ImageInfo> {
  const name = basename(path);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ArtifactRequestError(`${path} does not exist on this host; fetch the image on this worker (its host-specific task queue) before preparing artifacts.`);
    }
    throw err;
  }
  if (!st.isFile()) throw new ArtifactRequestError(`${path} is not a regular file.`);
  if (st.size === 0) throw new ImageFormatError(`${name} is empty (0 bytes). Fetch the image again.`);

  const head = await readHead(path);
  const format = decideFormat(name, head);
  let virtualSize: number;
  switch (format) {
    case 'raw':
      virtualSize = st.size;
      break;
    case 'raw.xz':
      virtualSize = await xzUncompressedSize(path, signal);
      break;
    case 'qcow2': {
      const h = parseQcow2Header(name, head);
      if (h.hasBackingFile || h.externalDataFile) {
        throw new ImageFormatError(
          `${name} refers to another file (${h.hasBackingFile ? 'a backing file' : 'an external data file'}); only self-contained qcow2 images are accepted. Flatten it (qemu-img convert -O qcow2) before publishing.`,
        );
      }
      if (h.encrypted) throw new ImageFormatError(`${name} is an encrypted qcow2; publishable images are not encrypted.`);
      virtualSize = h.virtualSize;
      break;
    }
  }
  if (virtualSize > maxImageBytes) {
    throw new ImageTooLargeError(
      `${name} describes a ${formatBytes(virtualSize)} disk (${virtualSize} bytes), above the limit of ${formatBytes(maxImageBytes)} (staging.maxImageBytes). ` +
        `If the image is meant to be that big, raise the limit in the settings; otherwise check the build's disk size.`,
      virtualSize,
      maxImageBytes,
    );
  }
  if (virtualSize === 0) throw new ImageFormatError(`${name} describes an empty disk (virtual size 0).`);
  if (format === 'qcow2') await checkQcow2Input(path, signal);
  return { path, format, virtualSize, fileSize: st.size, mtimeMs: st.mtimeMs };
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1)
      ?.trim() ?? 'no message'
  );
}
