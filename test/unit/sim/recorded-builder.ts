// The bytes the recording's fake builder uploaded (03b, 04b, 05b), rebuilt from the rawUpload
// bodies and, for files too large to be stored, from the recipe in the README (MAGIC + SHA-256
// chain of "<seed>:<i>"); every file is checked against the manifest's size and sha256. The
// simulator's materialize hook writes these instead of its own files, so task output can be
// compared with the recorded answers byte for byte.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { MaterializeHook } from '../../../sim/koji';
import { loadWire } from './helpers';

const MAGIC: Record<string, Buffer> = {
  qcow2: Buffer.from([0x51, 0x46, 0x49, 0xfb, 0x00, 0x00, 0x00, 0x03]),
  'raw.xz': Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
};

function generated(name: string, seed: string, size: number): Buffer {
  const magic = name.endsWith('.qcow2') ? MAGIC.qcow2! : MAGIC['raw.xz']!;
  const parts = [magic];
  let n = magic.length;
  for (let i = 0; n < size; i++) {
    const d = createHash('sha256').update(`${seed}:${i}`).digest();
    parts.push(d);
    n += d.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** `tasks/<a>/<id>/<name>` -> bytes. */
export function recordedBuilderFiles(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const file of ['03b-kiwi-completed-builder.json', '04b-oz-createimage-completed-builder.json', '05b-kiwi-failed-builder.json']) {
    const doc = loadWire(file);
    const manifest = new Map<string, { size: number; sha: string; seed?: string }>();
    for (const n of doc.notes) {
      const m = /^file (\S+): (\d+) bytes, sha256 ([0-9a-f]{64})(?:, generated with seed '([^']+)')?/.exec(n);
      if (m) manifest.set(m[1]!, { size: Number(m[2]), sha: m[3]!, seed: m[4] });
    }
    const chunks = new Map<string, Array<{ offset: number; data: Buffer | undefined }>>();
    for (const e of doc.exchanges) {
      if (e.request.headers['Content-Type'] !== 'application/octet-stream') continue;
      const q = new URL(e.request.path, 'http://x').searchParams;
      const key = `${q.get('filepath')}/${q.get('filename')}`;
      const list = chunks.get(key) ?? [];
      list.push({ offset: Number(q.get('offset')), data: e.request.body_base64 !== undefined ? Buffer.from(e.request.body_base64, 'base64') : undefined });
      chunks.set(key, list);
    }
    for (const [key, list] of chunks) {
      const m = manifest.get(key);
      let bytes: Buffer;
      if (list.every((c) => c.data !== undefined)) {
        bytes = Buffer.concat(list.sort((a, b) => a.offset - b.offset).map((c) => c.data!));
      } else {
        if (!m?.seed) throw new Error(`${file}: ${key} has omitted chunks and no seed`);
        bytes = generated(key, m.seed, m.size);
      }
      if (m) {
        const sha = createHash('sha256').update(bytes).digest('hex');
        if (bytes.length !== m.size || sha !== m.sha) throw new Error(`${file}: ${key} rebuilt as ${bytes.length} bytes ${sha}, manifest says ${m.size} ${m.sha}`);
      }
      out.set(key, bytes);
    }
  }
  return out;
}

/** A materialize hook writing the recorded bytes where the recording has the file. */
export function recordedHook(files: Map<string, Buffer>): MaterializeHook {
  return ({ taskId, file, path }) => {
    const bytes = files.get(`tasks/${taskId % 10000}/${taskId}/${file.name}`);
    if (!bytes) return false;
    writeFileSync(path, bytes);
    return true;
  };
}
