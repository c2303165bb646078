// Task output over XML-RPC: listTaskOutput (names, stat with st_size as a string, volumes),
// downloadTaskOutput (base64 text in a plain <string>, negative offsets from EOF, "" past EOF),
// checkUpload, and the raw upload handler (POST application/octet-stream).
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import { asDouble } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { Adler32, adler32File, sha256File } from './checksums';
import { assertLogin, castInt, str, toInt, truthy } from './hub-context';
import type { CallContext, HubDeps, MethodTable } from './hub-context';
import { actionNotAllowed, genericError, pythonError } from './koji-errors';
import { sig } from './signature';

const VOLUME = 'DEFAULT';

export function fileMethods(d: HubDeps): MethodTable {
  return {
    listTaskOutput: {
      sig: sig('RootExports.listTaskOutput', 'taskID, stat=False, all_volumes=False, strict=False'),
      fn: async ({ args }) => {
        const id = toInt(args.taskID, 'taskID');
        if (truthy(args.strict) && !d.store.get(id)) throw genericError("Task doesn't exist");
        const files = await d.files.list(id);
        const withStat = truthy(args.stat);
        const allVolumes = truthy(args.all_volumes);
        if (!withStat && !allVolumes) return files.map((f) => f.name);
        const out: Record<string, XmlRpcValue> = {};
        for (const f of files) {
          const st = { st_atime: asDouble(f.atime), st_ctime: asDouble(f.ctime), st_mtime: asDouble(f.mtime), st_size: f.size.toString() };
          out[f.name] = withStat ? (allVolumes ? { [VOLUME]: st } : st) : [VOLUME];
        }
        return out;
      },
    },
    downloadTaskOutput: {
      sig: sig('RootExports.downloadTaskOutput', 'taskID, fileName, offset=0, size=-1, volume=None'),
      fn: async ({ args }) => {
        const name = String(args.fileName);
        if (name.includes('..')) throw genericError(`Invalid file name: ${name}`);
        const size = castInt(args.size);
        const offset = castInt(args.offset);
        if (args.volume !== null && args.volume !== VOLUME) throw genericError(`No such volume: ${String(args.volume)}`);
        const id = toInt(args.taskID, 'taskID');
        const path = normalize(join(d.files.taskDir(id), name));
        let total: bigint;
        try {
          const st = await stat(path, { bigint: true });
          if (!st.isFile()) throw new Error('not a file');
          total = st.size;
        } catch {
          throw genericError(`no file "${name}" output by task ${id}`);
        }
        const start = offset >= 0n ? offset : total + offset;
        if (start < 0n) throw pythonError('OSError', '[Errno 22] Invalid argument');
        if (start >= total) return '';
        const want = size < 0n ? total - start : size < total - start ? size : total - start;
        if (want > 256n * 1024n * 1024n) throw genericError('koji-sim: refusing to read more than 256 MiB in one downloadTaskOutput call');
        const fh = await open(path, 'r');
        try {
          const buf = Buffer.alloc(Number(want));
          const { bytesRead } = await fh.read(buf, 0, buf.length, Number(start));
          return buf.subarray(0, bytesRead).toString('base64');
        } finally {
          await fh.close();
        }
      },
    },
    checkUpload: {
      sig: sig('RootExports.checkUpload', 'path, name, verify=None, tail=None, volume=None'),
      fn: async ({ args }, ctx) => {
        assertLogin(ctx);
        const name = basename(String(args.name));
        const verify = str(args.verify);
        if (verify !== null && verify !== 'adler32' && verify !== 'sha256') throw genericError(`Unsupported verify type: ${verify}`);
        const reldir = normalize(String(args.path));
        if (reldir.startsWith('..')) throw genericError(`Upload path not allowed: ${String(args.path)}`);
        const fn = join(d.files.workDir, reldir, name);
        let st;
        try {
          st = await stat(fn, { bigint: true });
        } catch {
          return null;
        }
        if (!st.isFile()) throw genericError(`Not a regular file: ${fn}`);
        const size = st.size;
        const out: Record<string, XmlRpcValue> = {
          size: size > BigInt(Number.MAX_SAFE_INTEGER) ? size : Number(size),
          mtime: asDouble(Number(st.mtimeNs) / 1e9),
        };
        if (verify) {
          let start = 0;
          if (args.tail !== null) {
            const tail = toInt(args.tail, 'tail');
            if (tail < 0) throw genericError(`invalid tail value: ${tail}`);
            start = Math.max(Number(size) - tail, 0);
          }
          const r = verify === 'sha256' ? await sha256File(fn, start) : await adler32File(fn, start);
          out.sumlength = r.length;
          out.hexdigest = r.hex;
        }
        return out;
      },
    },
  };
}

/**
 * kojihub's handle_upload: `POST /kojihub?filename=&filepath=&fileverify=&offset=&overwrite=` with
 * the raw bytes. User uploads go to their own directory (a `.user` marker); task directories
 * belong to the build host alone.
 */
export async function handleUpload(d: HubDeps, ctx: CallContext, query: URLSearchParams, body: Buffer): Promise<XmlRpcValue> {
  if (!ctx.user) throw actionNotAllowed('you must be logged-in to upload');
  const name = query.get('filename');
  if (name === null) throw pythonError('KeyError', "'filename'");
  const path = query.get('filepath') ?? '';
  const verify = query.get('fileverify') ?? '';
  const overwrite = query.get('overwrite') ?? '';
  const offsetText = query.get('offset') ?? '0';
  if (!/^-?\d+$/.test(offsetText)) throw pythonError('ValueError', `invalid literal for int() with base 10: '${offsetText}'`);
  let offset = Number(offsetText);
  if (dirname(name) !== '.' || name.startsWith('.')) throw genericError(`Invalid upload filename: ${name}`);
  const reldir = normalize(path);
  if (!path || reldir.startsWith('..') || reldir.startsWith('/')) throw genericError(`Invalid upload directory: ${path}`);
  if (reldir.split('/')[0] === 'tasks' && ctx.user.usertype !== 1) throw actionNotAllowed(`host only: uploads into ${reldir} belong to the build host`);
  if (verify !== '' && verify !== 'adler32' && verify !== 'sha256') throw genericError(`Unsupported verify type: ${verify}`);
  const udir = join(d.files.workDir, reldir);
  await mkdir(udir, { recursive: true });
  const marker = join(udir, '.user');
  try {
    const owner = (await readFile(marker, 'utf8')).trim();
    if (owner !== String(ctx.user.id)) throw genericError(`Invalid upload directory, not owner: ${path}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await writeFile(marker, String(ctx.user.id));
  }
  const fn = join(udir, name);
  let exists = false;
  try {
    const st = await stat(fn);
    if (!st.isFile()) throw genericError(`destination not a file: ${fn}`);
    exists = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (exists && offset === 0 && !overwrite) throw genericError(`upload path exists: ${fn}`);
  const fh = await open(fn, exists ? 'r+' : 'w+');
  try {
    if (offset === -1) offset = (await fh.stat()).size;
    else await fh.truncate(offset);
    await fh.write(body, 0, body.length, offset);
  } finally {
    await fh.close();
  }
  ctx.commit = true;
  const out: Record<string, XmlRpcValue> = { size: body.length, fileverify: verify, offset };
  if (verify === 'adler32') out.hexdigest = new Adler32().update(body).hexdigest();
  else if (verify === 'sha256') out.hexdigest = createHash('sha256').update(body).digest('hex');
  return out;
}
