// The fault proxy against a fresh local upstream per test: forwarding, rules (next-N,
// probability with a seed, skip), reset, delay, "after" faults, rewrites, counters, streaming.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ec2Error, ebsBlockSize, imagesPendingFor, s3SlowDown, startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy';

interface Upstream {
  url: string;
  hits: Array<{ method: string; url: string; bytes: number }>;
  server: Server;
}

async function upstream(answer: (method: string, url: string, body: Buffer) => { status?: number; body: string; type?: string }): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      hits.push({ method: req.method ?? '', url: req.url ?? '', bytes: body.length });
      const a = answer(req.method ?? '', req.url ?? '', body);
      res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'text/plain' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

function send(url: string, opts: { method?: string; path?: string; body?: Buffer | string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(opts.path ?? '/', url);
    const req = request(u, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const ec2Form = (action: string, extra = '') => ({
  method: 'POST',
  body: `Action=${action}&Version=2016-11-15${extra}`,
  headers: {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    authorization: 'AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
  },
});

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(answer: Parameters<typeof upstream>[0] = () => ({ body: 'ok' }), seed = 42): Promise<{ up: Upstream; proxy: FaultProxy }> {
  const up = await upstream(answer);
  const proxy = await startFaultProxy({ target: up.url, seed });
  cleanup.push(async () => {
    await proxy.close();
    await new Promise<void>((r) => up.server.close(() => r()));
  });
  return { up, proxy };
}

describe('fault proxy', () => {
  it('forwards requests and counts them per action, with region and service from the SigV4 scope', async () => {
    const { up, proxy } = await setup((_m, _u, body) => ({ body: `got ${body.length}` }));
    const r = await send(proxy.url, ec2Form('DescribeImages', '&Owner.1=self'));
    expect(r).toEqual({ status: 200, body: expect.stringMatching(/^got \d+$/) });
    expect(up.hits).toHaveLength(1);
    expect(proxy.calls[0]).toMatchObject({ action: 'DescribeImages', region: 'eu-west-1', service: 'ec2', upstreamStatus: 200, clientStatus: 200 });
    expect(proxy.calls[0]?.form?.get('Owner.1')).toBe('self');
    expect(proxy.count('DescribeImages')).toMatchObject({ requests: 1, forwarded: 1, succeeded: 1, delivered: 1, injected: 0 });
  });

  it('answers the next N matching requests with an EC2 error, then lets them through', async () => {
    const { up, proxy } = await setup();
    const rule = proxy.addRule({ match: { action: 'RegisterImage' }, fault: ec2Error('RequestLimitExceeded', 503), times: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(proxy.url, ec2Form('RegisterImage'))).status);
    await send(proxy.url, ec2Form('DescribeImages'));
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect(rule.fired).toBe(2);
    expect(up.hits).toHaveLength(3);
    expect(proxy.count('RegisterImage')).toMatchObject({ requests: 4, injected: 2, succeeded: 2 });
    const err = await (async () => {
      proxy.addRule({ match: { action: 'CopyImage' }, fault: ec2Error('Throttling', 400), times: 1 });
      return send(proxy.url, ec2Form('CopyImage'));
    })();
    expect(err.body).toContain('<Code>Throttling</Code>');
  });

  it('fires probabilistic rules reproducibly from the seed', async () => {
    const pattern = async (seed: number) => {
      const { proxy } = await setup(undefined, seed);
      proxy.addRule({ fault: s3SlowDown(), probability: 0.3 });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await send(proxy.url, { path: `/bucket/key${i}` })).status);
      return out;
    };
    const a = await pattern(7);
    const b = await pattern(7);
    expect(a).toEqual(b);
    const failures = a.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(25);
  });

  it('skips the first matches, matches on path, method and query', async () => {
    const { proxy } = await setup();
    proxy.addRule({ match: { method: 'GET', path: /^\/img\//, query: { v: '2' } }, fault: { kind: 'status', status: 500 }, skip: 1 });
    expect((await send(proxy.url, { path: '/img/a?v=2' })).status).toBe(200);
    expect((await send(proxy.url, { path: '/img/a?v=2' })).status).toBe(500);
    expect((await send(proxy.url, { path: '/img/a?v=1' })).status).toBe(200);
    expect((await send(proxy.url, { path: '/other?v=2' })).status).toBe(200);
    expect((await send(proxy.url, { method: 'PUT', path: '/img/a?v=2' })).status).toBe(200);
  });

  it('resets connections before forwarding, and after forwarding (the server acted, the client never hears)', async () => {
    const { up, proxy } = await setup();
    proxy.addRule({ match: { path: '/before' }, fault: { kind: 'reset' }, times: 1 });
    proxy.addRule({ match: { path: '/after' }, fault: { kind: 'reset', after: true }, times: 1 });
    await expect(send(proxy.url, { path: '/before' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(up.hits).toHaveLength(0);
    await expect(send(proxy.url, { path: '/after' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(up.hits.map((h) => h.url)).toEqual(['/after']);
    expect(proxy.count('GET /after')).toMatchObject({ succeeded: 1, delivered: 0 });
  });

  it('loses the real answer with an "after" status fault', async () => {
    const { up, proxy } = await setup();
    proxy.addRule({ match: { action: 'RegisterImage' }, fault: { ...ec2Error('InternalError', 500), after: true }, times: 1 });
    const r = await send(proxy.url, ec2Form('RegisterImage'));
    expect(r.status).toBe(500);
    expect(up.hits).toHaveLength(1);
    expect(proxy.count('RegisterImage')).toMatchObject({ succeeded: 1, delivered: 0, injected: 1 });
  });

  it('delays, then forwards', async () => {
    const { proxy } = await setup();
    proxy.addRule({ fault: { kind: 'delay', ms: 300 }, times: 1 });
    const t0 = Date.now();
    expect((await send(proxy.url, { path: '/slow' })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(proxy.count('GET /slow')).toMatchObject({ injected: 0, succeeded: 1 });
  });

  it('rewrites answers: pending images for the first polls, EBS block size', async () => {
    const xml = '<DescribeImagesResponse><imagesSet><item><imageId>ami-0123abcd</imageId><imageState>available</imageState></item></imagesSet></DescribeImagesResponse>';
    const { proxy } = await setup((_m, url) => (url.startsWith('/snapshots') ? { body: '{"SnapshotId":"snap-1","BlockSize":512}', type: 'application/json' } : { body: xml }));
    proxy.addRewrite(imagesPendingFor(2));
    proxy.addRewrite(ebsBlockSize());
    const states = [];
    for (let i = 0; i < 3; i++) states.push(/<imageState>(\w+)</.exec((await send(proxy.url, ec2Form('DescribeImages'))).body)?.[1]);
    expect(states).toEqual(['pending', 'pending', 'available']);
    const start = await send(proxy.url, {
      method: 'POST',
      path: '/snapshots',
      body: '{"VolumeSize":1}',
      headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ebs/aws4_request, SignedHeaders=host, Signature=0' },
    });
    expect(JSON.parse(start.body)).toEqual({ SnapshotId: 'snap-1', BlockSize: 524288 });
    expect(proxy.calls.at(-1)).toMatchObject({ action: 'StartSnapshot', rewritten: true });
  });

  it('streams large bodies through and counts their bytes', async () => {
    const { up, proxy } = await setup((_m, _u, body) => ({ body: String(body.length) }));
    const big = Buffer.alloc(24 * 1024 * 1024, 7);
    const r = await send(proxy.url, {
      method: 'PUT',
      path: '/snapshots/snap-1/blocks/3',
      body: big,
      headers: { 'content-type': 'application/octet-stream', authorization: 'AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ebs/aws4_request, SignedHeaders=host, Signature=0' },
    });
    expect(r.body).toBe(String(big.length));
    expect(up.hits[0]?.bytes).toBe(big.length);
    expect(proxy.count('PutSnapshotBlock')).toMatchObject({ requests: 1, bytesIn: big.length, succeeded: 1 });
  });

  it('classifies Koji XML-RPC calls by method name', async () => {
    const { proxy } = await setup();
    await send(proxy.url, {
      method: 'POST',
      path: '/kojihub',
      body: '<?xml version="1.0"?><methodCall><methodName>getTaskInfo</methodName><params/></methodCall>',
      headers: { 'content-type': 'text/xml' },
    });
    expect(proxy.calls[0]?.action).toBe('getTaskInfo');
  });
});
