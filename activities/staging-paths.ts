// One folder per image (workflow id + arch) under the host's staging dir; the key is made safe
// for a file name so no workflow id can point outside the staging dir.
import { createHash } from 'node:crypto';
import { access, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function stagingFolder(stagingDir: string, imageKey: string): string {
  const readable = imageKey.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const digest = createHash('sha256').update(imageKey).digest('hex').slice(0, 12);
  return join(stagingDir, `${readable}-${digest}`);
}

/** Written into each image's staging folder when it is made, so the host's janitor can tell
 *  whose files they are (the folder's name is a lossy digest of the image key). */
export const STAGING_MARKER = '.fedimg-image.json';

export interface StagingMarker {
  /** `<release workflow id>/<arch>` */
  imageKey: string;
  releaseWorkflowId: string;
  stagedAt: string;
}

/** Atomically (temp + rename), so a reader never sees half a marker; a resumed fetch keeps the first. */
export async function writeStagingMarker(folder: string, imageKey: string): Promise<void> {
  const path = join(folder, STAGING_MARKER);
  if (await access(path).then(() => true, () => false)) return;
  const marker: StagingMarker = { imageKey, releaseWorkflowId: imageKey.slice(0, imageKey.lastIndexOf('/')), stagedAt: new Date().toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(marker)}\n`);
  await rename(tmp, path);
}
