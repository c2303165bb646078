// Writes a build's planned files into its task directory: disk images from the cache (a hard
// link, or a copy across file systems), kiwi's checksum files from the bytes actually written,
// and text files. A hook lets a caller supply a file itself (the tests replay the recorded
// builder's bytes this way).
import { copyFile, link, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from './checksums';
import type { DiskImageFactory } from './disk-image';
import type { ChildPlan, PlannedFile } from './image-kinds';

export interface MaterializeContext {
  taskId: number;
  /** Task method: createKiwiImage, createImage, …, or the parent's (for parent files). */
  method: string;
  arch: string;
  /** Destination path of this file. */
  path: string;
  file: PlannedFile;
  signal: AbortSignal;
}

/** Return true when the hook wrote `ctx.path` itself; false lets the simulator make the file. */
export type MaterializeHook = (ctx: MaterializeContext) => Promise<boolean> | boolean;

export interface ArtifactOptions {
  imageSizeBytes: number;
  hook?: MaterializeHook;
}

export class Artifacts {
  constructor(
    private readonly disks: DiskImageFactory,
    private readonly opts: ArtifactOptions,
  ) {}

  async write(
    dir: string,
    files: readonly PlannedFile[],
    info: { taskId: number; method: string; arch: string; plan?: ChildPlan },
    signal: AbortSignal,
  ): Promise<void> {
    for (const file of files) {
      signal.throwIfAborted();
      const path = join(dir, file.name);
      if (this.opts.hook && (await this.opts.hook({ taskId: info.taskId, method: info.method, arch: info.arch, path, file, signal }))) continue;
      switch (file.kind) {
        case 'text':
          await writeFile(path, file.content);
          break;
        case 'checksum': {
          const { hex } = await sha256File(join(dir, file.of));
          await writeFile(path, `${hex}  ${file.of}\n`);
          break;
        }
        case 'image': {
          const plan = info.plan;
          const cached = await this.disks.get(
            {
              seed: plan?.diskSeed ?? `${info.method}:${info.taskId}`,
              arch: info.arch,
              sizeBytes: this.opts.imageSizeBytes,
              iso: Boolean(plan?.iso) || file.format === 'iso',
              volumeId: plan?.iso?.volumeId,
            },
            file.format,
            signal,
          );
          await rm(path, { force: true });
          try {
            await link(cached, path);
          } catch {
            await copyFile(cached, path);
          }
          break;
        }
      }
    }
  }
}
