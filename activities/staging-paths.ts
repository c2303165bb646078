// One folder per image (workflow id + arch) under the host's staging dir; the key is made safe
// for a file name so no workflow id can point outside the staging dir.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export function stagingFolder(stagingDir: string, imageKey: string): string {
  const readable = imageKey.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const digest = createHash('sha256').update(imageKey).digest('hex').slice(0, 12);
  return join(stagingDir, `${readable}-${digest}`);
}
