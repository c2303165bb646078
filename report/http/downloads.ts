// Read-only serving of the downloads directory (downloads.type = directory) under /downloads:
// files with Range support for resumed downloads, plain directory listings. A request can never
// leave the root: the path is resolved, then the real path (symlinks followed) must still be
// inside the root's real path; dot-files and anything but regular files and directories are 404.
import { createReadStream } from 'node:fs';
import { realpath, readdir, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { html } from '../page/html';
import { humanSize } from '../page/format';

export interface DownloadsOptions {
  root: string;
  /** URL prefix, default /downloads. */
  prefix?: string;
}

type Resolved = { kind: 'file'; path: string; size: number; mtime: Date } | { kind: 'dir'; path: string };

/** Resolves a request path inside root, or undefined when it would escape or does not exist. */
export async function resolveInside(root: string, requestPath: string): Promise<Resolved | undefined> {
  if (requestPath.includes('\0') || requestPath.includes('\\')) return undefined;
  const parts = requestPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch {
    return undefined;
  }
  const candidate = resolve(rootReal, ...parts);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return undefined;
  }
  if (real !== rootReal && !real.startsWith(rootReal + sep)) return undefined;
  const st = await stat(real);
  if (st.isFile()) return { kind: 'file', path: real, size: st.size, mtime: st.mtime };
  if (st.isDirectory()) return { kind: 'dir', path: real };
  return undefined;
}

function contentType(name: string): string {
  if (/CHECKSUM$|\.txt$|SHA256SUMS$/i.test(name)) return 'text/plain; charset=utf-8';
  if (/\.json$/i.test(name)) return 'application/json';
  return 'application/octet-stream';
}

/** One `bytes=a-b` range (the only kind download tools send); undefined = whole file, null = unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return null;
  return { start, end };
}

export function registerDownloads(app: FastifyInstance, opts: DownloadsOptions): void {
  const prefix = (opts.prefix ?? '/downloads').replace(/\/$/, '');
  const handler = async (rel: string, range: string | undefined, reply: FastifyReply) => {
    const found = await resolveInside(opts.root, rel);
    if (!found) return reply.code(404).send({ error: 'Not Found', message: `no file ${prefix}/${rel}` });
    if (found.kind === 'dir') {
      if (rel !== '' && !rel.endsWith('/')) return reply.redirect(`${prefix}/${rel.split('/').map(encodeURIComponent).join('/')}/`);
      return reply.type('text/html; charset=utf-8').send(await listing(found.path, `${prefix}/${rel}`));
    }
    const name = found.path.slice(found.path.lastIndexOf(sep) + 1);
    reply
      .header('accept-ranges', 'bytes')
      .header('last-modified', found.mtime.toUTCString())
      .header('x-content-type-options', 'nosniff')
      .type(contentType(name));
    const r = parseRange(range, found.size);
    if (r === null) return reply.code(416).header('content-range', `bytes */${found.size}`).send();
    if (r) {
      reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${found.size}`).header('content-length', r.end - r.start + 1);
      return reply.send(createReadStream(found.path, { start: r.start, end: r.end }));
    }
    reply.header('content-length', found.size);
    return reply.send(createReadStream(found.path));
  };
  app.get(prefix, (_req, reply) => reply.redirect(`${prefix}/`));
  app.get(`${prefix}/*`, (req, reply) => handler((req.params as { '*': string })['*'], req.headers.range, reply));
}

async function listing(dir: string, urlPath: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
    .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
  const rows = await Promise.all(
    entries.map(async (e) => {
      const href = encodeURIComponent(e.name) + (e.isDirectory() ? '/' : '');
      const size = e.isFile() ? humanSize((await stat(resolve(dir, e.name))).size) : '';
      return html`<tr><td><a href="${href}">${e.name}${e.isDirectory() ? '/' : ''}</a></td><td>${size}</td></tr>`;
    }),
  );
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Index of ${urlPath}</title>
<link rel="stylesheet" href="/assets/catalogue.css"></head><body><main class="wrap"><h1>Index of ${urlPath}</h1>
<table class="amis"><tbody>${urlPath.split('/').filter(Boolean).length > 1 ? html`<tr><td><a href="../">../</a></td><td></td></tr>` : ''}${rows}</tbody></table>
</main></body></html>`.value;
}
