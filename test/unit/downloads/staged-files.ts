// Staged files for the download tests: real files in a temporary directory, with their facts
// computed the way the conversion step does, and a CHECKSUM file in Fedora's format.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileFacts } from '../../../clients/downloads';

export const MiB = 1024 * 1024;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function stageFile(dir: string, name: string, content: Buffer | string): Promise<FileFacts> {
  const path = join(dir, `staged-${randomBytes(4).toString('hex')}-${name}`);
  await writeFile(path, content);
  return { path, name, size: Buffer.byteLength(content), sha256: sha256Hex(content) };
}

/** Random bytes: incompressible, and different on every call. */
export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}

export function checksumText(images: FileFacts[]): string {
  return [...images]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f) => `# ${f.name}: ${f.size} bytes\nSHA256 (${f.name}) = ${f.sha256}\n`)
    .join('');
}

export async function stageChecksum(dir: string, name: string, images: FileFacts[]): Promise<FileFacts> {
  return stageFile(dir, name, checksumText(images));
}

/** A small set for one arch: a qcow2, a raw.tar.xz and their CHECKSUM file. */
export async function stageSmallSet(dir: string, arch = 'x86_64', sizes: [number, number] = [300 * 1024, 200 * 1024]) {
  const qcow2 = await stageFile(dir, `Fedora-Cloud-Base-Generic-44-1.7.${arch}.qcow2`, randomContent(sizes[0]));
  const raw = await stageFile(dir, `Fedora-Cloud-Base-Generic-44-1.7.${arch}.raw.tar.xz`, randomContent(sizes[1]));
  const checksumFile = await stageChecksum(dir, `Fedora-Cloud-44-1.7-${arch}-CHECKSUM`, [qcow2, raw]);
  return { release: '44', family: 'Cloud', arch, files: [qcow2, raw], checksumFile };
}
