// The mirror's client: copies files into `<root>/<release>/<arch>/`, checking each copy's sha256.
// Plain options, no Temporal: like every client.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface MirrorFile {
  path: string;
  name: string;
  sha256: string;
}

export async function mirrorFiles(o: { root: string; folder: string; files: MirrorFile[] }): Promise<Array<{ name: string; path: string; sha256: string }>> {
  const dir = join(o.root, o.folder);
  await mkdir(dir, { recursive: true });
  const out = [];
  for (const f of o.files) {
    const target = join(dir, f.name);
    await copyFile(f.path, `${target}.partial`);
    const sum = await sha256(`${target}.partial`);
    if (sum !== f.sha256) throw new Error(`${f.name}: copied ${sum}, expected ${f.sha256}`);
    await rename(`${target}.partial`, target);
    out.push({ name: f.name, path: target, sha256: sum });
  }
  return out;
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
