// The download client against servers that answer in the other ways HTTP allows (chunked bodies,
// bodies ended by the close, interim 1xx heads), that break mid-body, that are not HTTP at all,
// and over TLS: every one either yields the exact file or a retryable interruption.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet } from '../../../clients/fetch/http-get';
import { downloadVerified } from '../../../clients/fetch/trusted-download';
import { DownloadInterruptedError } from '../../../clients/fetch/errors';

const body = randomBytes(2 * 1024 * 1024 + 321);
const sha = createHash('sha256').update(body).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'fedimg-dl-http-'));
let n = 0;
const dest = () => join(dir, `image-${n++}.raw`);
const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function listen(s: Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A server that answers the first request on each connection with whatever `answer` writes. */
function raw(answer: (sock: Socket) => void): Promise<string> {
  return listen(createNetServer((sock) => sock.once('data', () => answer(sock))));
}

describe('the idle timeout', () => {
  it('does not count the time the caller holds the connection paused, before or inside the body', async () => {
    // The server sends everything at once; the caller then waits three idle timeouts before it
    // starts the body, and pauses three more inside it. A silent server would have failed by then.
    const host = await listen(createHttpServer((_req, res) => res.writeHead(200, { 'Content-Length': body.length }).end(body)));
    // 500 ms, not less: on a loaded machine the server's head alone can take over 100 ms.
    const res = await httpGet(new URL(`http://${host}/x.raw`), {}, undefined, { idleTimeoutMs: 500 });
    await new Promise((r) => setTimeout(r, 1500));
    const hash = createHash('sha256');
    let paused = false;
    await new Promise<void>((resolve, reject) =>
      res.startBody({
        onData(slice) {
          hash.update(slice);
          if (paused) return;
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), 1500);
        },
        onEnd: resolve,
        onError: reject,
      }),
    );
    expect(paused).toBe(true);
    expect(hash.digest('hex')).toBe(sha);
  });
});

describe('download over the HTTP/1.1 framings', () => {
  it('gets every byte right when the receive memory is reused many times over', async () => {
    // 40 MiB in irregular writes through the one 1 MiB receive buffer: bytes read into it before
    // the previous ones were hashed and written would put wrong bytes in the file and the hash.
    const big = randomBytes(40 * 1024 * 1024 + 4321);
    const bigSha = createHash('sha256').update(big).digest('hex');
    const host = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': big.length });
        let at = 0;
        const next = () => {
          while (at < big.length) {
            const n = 100_000 + (at % 777_777);
            const ok = res.write(big.subarray(at, at + n));
            at += n;
            if (!ok) return void res.once('drain', next);
          }
          res.end();
        };
        next();
      }),
    );
    const d = dest();
    const r = await downloadVerified({ url: `http://${host}/x.raw`, dest: d, expectedSize: big.length, expectedSha256: bigSha });
    expect(r.sha256).toBe(bigSha);
    expect(readFileSync(d).equals(big)).toBe(true);
  });

  it('reads a chunked body', async () => {
    const host = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.write(body.subarray(0, 1_000_000));
        setTimeout(() => res.end(body.subarray(1_000_000)), 20);
      }),
    );
    const d = dest();
    const r = await downloadVerified({ url: `http://${host}/x.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(r.sha256).toBe(sha);
    expect(readFileSync(d).equals(body)).toBe(true);
  });

  it('reads a body that ends with the connection, after an interim 100 head', async () => {
    const host = await raw((sock) => {
      sock.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nServer: old\r\n\r\n');
      sock.end(body);
    });
    const d = dest();
    const r = await downloadVerified({ url: `http://${host}/x.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(r.size).toBe(body.length);
    expect(readFileSync(d).equals(body)).toBe(true);
  });

  it('calls a chunked body cut mid-chunk an interruption and keeps the received bytes for the retry', async () => {
    const part = body.subarray(0, 1_500_000);
    const host = await raw((sock) => {
      sock.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`);
      sock.write(part, () => setTimeout(() => sock.destroy(), 20));
    });
    const d = dest();
    await expect(downloadVerified({ url: `http://${host}/x.raw`, dest: d, expectedSize: body.length })).rejects.toThrow(DownloadInterruptedError);
    expect(readFileSync(d).equals(part)).toBe(true);
  });

  it('calls a Content-Length body cut short an interruption', async () => {
    const host = await raw((sock) => {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      sock.end(body.subarray(0, 1000));
    });
    await expect(downloadVerified({ url: `http://${host}/x.raw`, dest: dest(), expectedSize: body.length })).rejects.toThrow(
      /interrupted after 1000 bytes: .*before the end of the body/,
    );
  });

  it('calls an answer that is not HTTP an interruption, naming what came back', async () => {
    const host = await raw((sock) => sock.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await expect(downloadVerified({ url: `http://${host}/x.raw`, dest: dest(), expectedSize: 10 })).rejects.toThrow(
      /cannot reach .*not an HTTP\/1.x status line: "SSH-2.0/,
    );
  });
});

describe('download over TLS', () => {
  const certDir = mkdtempSync(join(tmpdir(), 'fedimg-dl-tls-'));
  const key = join(certDir, 'key.pem');
  const cert = join(certDir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const tlsServer = () =>
    listen(
      createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (sock) => {
        sock.on('error', () => {});
        sock.once('data', () => {
          sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
          sock.end(body);
        });
      }),
    );

  it('refuses a server whose certificate is not trusted', async () => {
    const host = (await tlsServer()).replace('127.0.0.1', 'localhost');
    await expect(downloadVerified({ url: `https://${host}/x.raw`, dest: dest(), expectedSize: body.length })).rejects.toThrow(
      /cannot reach .*SELF_SIGNED/,
    );
  });

  it('downloads and verifies from a server whose certificate is trusted', async () => {
    // The trust store is read once per process: the download runs in a child that trusts the test CA.
    const host = (await tlsServer()).replace('127.0.0.1', 'localhost');
    const d = dest();
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const script = `
      const { downloadVerified } = await import(${JSON.stringify(new URL('clients/fetch/trusted-download.ts', `file://${root}`).href)});
      const r = await downloadVerified(JSON.parse(process.env.REQ));
      process.stdout.write(JSON.stringify(r));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, REQ: JSON.stringify({ url: `https://${host}/x.raw`, dest: d, expectedSize: body.length, expectedSha256: sha }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ size: body.length, sha256: sha });
    expect(readFileSync(d).equals(body)).toBe(true);
  }, 30_000);
});
