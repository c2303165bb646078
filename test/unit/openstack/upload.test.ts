// The streamed PUT: hashes and byte counts of what went out, Content-Length, a refusal before
// any byte of the body is sent (Expect: 100-continue), the caller's abort, and 5xx as retryable.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenStackHttpError } from '../../../clients/openstack';
import { hashFile, putFile, type UploadProgress } from '../../../clients/openstack/upload';
import { localServer, type LocalServer } from './local-server';

let dir: string;
let file: string;
let data: Buffer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'os-upload-'));
  file = join(dir, 'disk.qcow2');
  data = randomBytes(6 * 1024 * 1024 + 123);
  await writeFile(file, data);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sha = (algo: string) => createHash(algo).update(data).digest('hex');

describe('putFile', () => {
  it('streams the file with Content-Length, after 100 Continue, and returns the hashes of what it sent', async () => {
    server = await localServer(
      (_req, res) => {
        res.writeHead(204);
        res.end();
      },
      {
        onCheckContinue: (req, res) => {
          res.writeContinue();
          let bytes = 0;
          const h = createHash('sha512');
          req.on('data', (c: Buffer) => {
            bytes += c.length;
            h.update(c);
          });
          req.on('end', () => {
            res.writeHead(204, { 'x-got': `${bytes}:${h.digest('hex')}` });
            res.end();
          });
        },
      },
    );
    const progress: UploadProgress[] = [];
    const r = await putFile('glance', `${server.url}/v2/images/i1/file`, file, data.length, { 'x-auth-token': 't' }, {
      onProgress: (p) => progress.push(p),
      progressEveryMs: 0,
    });
    expect(r).toEqual({ bytes: data.length, sha256: sha('sha256'), sha512: sha('sha512'), status: 204 });
    const req = server.requests[0]!;
    expect(req.headers['content-length']).toBe(String(data.length));
    expect(req.headers['content-type']).toBe('application/octet-stream');
    expect(req.headers.expect).toBe('100-continue');
    expect(req.headers['x-auth-token']).toBe('t');
    expect(progress.at(-1)).toEqual({ bytes: data.length, total: data.length });
    expect(progress.length).toBeGreaterThan(2);
  });

  it('a refusal before the body (401 instead of 100 Continue) is final and sends no data', async () => {
    let received = 0;
    server = await localServer(() => undefined, {
      onCheckContinue: (req, res) => {
        req.on('data', (c: Buffer) => (received += c.length));
        res.writeHead(401, { 'content-type': 'text/html' });
        res.end('<html><body><h1>401 Unauthorized</h1>This server could not verify that you are authorized.<br /></body></html>');
      },
    });
    const err = await putFile('glance', `${server.url}/x`, file, data.length, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect((err as OpenStackHttpError).status).toBe(401);
    expect((err as OpenStackHttpError).retryable).toBe(false);
    expect((err as Error).message).toContain('This server could not verify that you are authorized.');
    expect(received).toBe(0);
  });

  it('a 503 after the body is retryable', async () => {
    server = await localServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
    });
    const err = await putFile('glance', `${server.url}/x`, file, data.length, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect((err as OpenStackHttpError).retryable).toBe(true);
  });

  it("the caller's abort stops the stream and comes back as the caller's reason", async () => {
    server = await localServer(() => undefined, {
      onCheckContinue: (req, res) => {
        res.writeContinue();
        req.pause(); // read nothing: the client fills the socket buffers and waits
      },
    });
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    const p = putFile('glance', `${server.url}/x`, file, data.length, {}, {
      signal: ac.signal,
      progressEveryMs: 0,
      onProgress: (pr) => {
        if (pr.bytes > 0) ac.abort(reason);
      },
    });
    await expect(p).rejects.toBe(reason);
  });
});

describe('hashFile', () => {
  it('reads the file once for both hashes', async () => {
    expect(await hashFile(file)).toEqual({ bytes: data.length, sha256: sha('sha256'), sha512: sha('sha512') });
  });
});
