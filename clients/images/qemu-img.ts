// qemu-img: qcow2 -> sparse raw, raw -> qcow2 with native (zlib) compression, and the checks on
// the qcow2 we wrote. Formats are always given explicitly (-f, -O): qemu-img never probes.
import { basename, dirname } from 'node:path';
import { DiskFullError, ImageCorruptError, OutputInvalidError } from './errors';
import { runTool, startTool } from './tool';
import type { ToolFailure } from './tool';

export interface ConvertOptions {
  signal?: AbortSignal | undefined;
  /** 0..1 as qemu-img reports it (-p). */
  onProgress?: (fraction: number) => void;
}

export interface Qcow2Options extends ConvertOptions {
  /** Parallel coroutines (qemu-img convert -m, 1..16). */
  parallelism: number;
}

function progressParser(onProgress?: (fraction: number) => void): ((text: string) => void) | undefined {
  if (!onProgress) return undefined;
  return (text) => {
    const all = [...text.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
    const last = all.at(-1);
    if (last?.[1] !== undefined) onProgress(Number(last[1]) / 100);
  };
}

/** `inputName`: set when the source is the fetched image, so read errors mean it is damaged. */
function classifyConvert(dest: string, inputName?: string) {
  return (f: ToolFailure): Error | undefined => {
    if (/No space left on device/i.test(f.stderr)) {
      const dir = dirname(dest);
      return new DiskFullError(
        `No space left on the staging file system at ${dir} while qemu-img wrote ${basename(dest)}. Free space there or run the stage on a host with more room.`,
        dir,
      );
    }
    if (inputName !== undefined && /error while reading|Could not open|Image is corrupt/i.test(f.stderr)) {
      return new ImageCorruptError(`qemu-img could not read ${inputName} (${f.stderr.split('\n')[0]}); the image is damaged. Fetch it again.`);
    }
    return undefined;
  };
}

/** qcow2 -> raw; qemu-img leaves unallocated and zero clusters as holes. */
export async function qcow2ToRaw(source: string, dest: string, options: ConvertOptions = {}): Promise<void> {
  await startTool('qemu-img', ['convert', '-p', '-f', 'qcow2', '-O', 'raw', source, dest], {
    signal: options.signal,
    stdout: 'pipe',
    onStdout: progressParser(options.onProgress),
    classify: classifyConvert(dest, basename(source)),
  }).done;
}

/** raw -> qcow2 with every cluster compressed that compresses (qemu keeps the others plain). */
export async function rawToCompressedQcow2(source: string, dest: string, options: Qcow2Options): Promise<void> {
  const m = Math.max(1, Math.min(16, Math.trunc(options.parallelism)));
  await startTool('qemu-img', ['convert', '-p', '-c', '-m', String(m), '-f', 'raw', '-O', 'qcow2', source, dest], {
    signal: options.signal,
    stdout: 'pipe',
    onStdout: progressParser(options.onProgress),
    classify: classifyConvert(dest),
  }).done;
}

export interface Qcow2Check {
  format: string;
  virtualSize: number;
  allocatedClusters: number;
  compressedClusters: number;
  corruptions: number;
  leaks: number;
  checkErrors: number;
}

/** `qemu-img info` and `qemu-img check` of an image we wrote. */
export async function inspectQcow2(path: string, signal?: AbortSignal): Promise<Qcow2Check> {
  const infoRun = await runTool('qemu-img', ['info', '-f', 'qcow2', '--output=json', path], { signal });
  const info = JSON.parse(infoRun.stdout) as { format?: string; 'virtual-size'?: number; 'backing-filename'?: string };
  // 2 = corruptions, 3 = leaks: reported, not thrown, so validateQcow2 can say which.
  const checkRun = await runTool('qemu-img', ['check', '-f', 'qcow2', '--output=json', path], { signal, okExitCodes: [0, 2, 3] });
  const check = JSON.parse(checkRun.stdout) as Record<string, number | string | undefined>;
  const num = (k: string) => (typeof check[k] === 'number' ? (check[k] as number) : 0);
  return {
    format: info.format ?? 'unknown',
    virtualSize: info['virtual-size'] ?? -1,
    allocatedClusters: num('allocated-clusters'),
    compressedClusters: num('compressed-clusters'),
    corruptions: num('corruptions'),
    leaks: num('leaks'),
    checkErrors: num('check-errors'),
  };
}

/** The qcow2 we wrote is a clean qcow2 of the raw's size, and compression actually happened. */
export async function validateQcow2(path: string, expectedVirtualSize: number, signal?: AbortSignal): Promise<Qcow2Check> {
  const c = await inspectQcow2(path, signal);
  const name = basename(path);
  const problems: string[] = [];
  if (c.format !== 'qcow2') problems.push(`format is ${c.format}, not qcow2`);
  if (c.virtualSize !== expectedVirtualSize) problems.push(`virtual size is ${c.virtualSize}, the raw image has ${expectedVirtualSize} bytes`);
  if (c.corruptions > 0 || c.checkErrors > 0) problems.push(`qemu-img check found ${c.corruptions} corruptions and ${c.checkErrors} check errors`);
  if (c.leaks > 0) problems.push(`qemu-img check found ${c.leaks} leaked clusters`);
  // Clusters that do not shrink are stored plain by qemu; an OS image always has some that do.
  if (c.allocatedClusters > 0 && c.compressedClusters === 0) problems.push('no cluster is compressed');
  if (problems.length > 0) {
    throw new OutputInvalidError(`${name} failed validation: ${problems.join('; ')}. The output was removed; the stage can be retried (on another host if this one keeps failing).`);
  }
  return c;
}
