// The Keystone and Glance clients against Debian's real Keystone 22 and Glance 25 (the local
// stack): a real qcow2 streamed up and checked by Glance's own hashes, look-ups by name and tag,
// web-download import, application credentials, a revoked token, and failures that are final.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { runActivity } from '../../unit/openstack/run-activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGlanceActivities } from '../../../activities/glance';
import { GlanceFailureType } from '../../../domain/failures';
import { KeystoneSession, OpenStackAuthError, OpenStackHttpError, type GlanceClient } from '../../../clients/openstack';
import { OPENSTACK_PASSWORD_FILE } from '../../../scripts/stack/services/openstack';
import { startFaultProxy } from '../../../sim/fault-proxy/proxy';
import {
  adminPassword,
  adminSession,
  config,
  deleteTagged,
  ensureOpenstack,
  eventually,
  glanceClient,
  makeQcow2,
  tempDir,
  uniqueTag,
  type Qcow2,
} from './helpers';

const tag = uniqueTag('client');
let tmp: Awaited<ReturnType<typeof tempDir>>;
let glance: GlanceClient;
let small: Qcow2;

beforeAll(async () => {
  await ensureOpenstack();
  tmp = await tempDir('glance-client-');
  glance = glanceClient();
  small = await makeQcow2(tmp.dir, 'small', 6, 64);
});

afterAll(async () => {
  await deleteTagged(glanceClient(), tag);
  await tmp.cleanup();
});

describe('Glance client against the real Glance', () => {
  it('streams a real qcow2; Glance stores the same size, sha512 and md5 that were computed while sending', async () => {
    const name = `${tag}-upload`;
    const img = await glance.createImage({
      name,
      visibility: 'public',
      tags: [tag],
      properties: { os_distro: 'fedora', os_version: '44', hw_firmware_type: 'uefi', fedimg_build: 'b1' },
    });
    expect(img).toMatchObject({ status: 'queued', disk_format: 'qcow2', container_format: 'bare', visibility: 'public' });

    const sent = await glance.uploadFile(img.id, small.path);
    expect(sent).toMatchObject({ bytes: small.size, sha256: small.sha256, sha512: small.sha512, status: 204 });

    const stored = await glance.getImage(img.id);
    expect(stored).toMatchObject({
      status: 'active',
      size: small.size,
      os_hash_algo: 'sha512',
      os_hash_value: small.sha512,
      checksum: small.md5,
      os_distro: 'fedora',
      hw_firmware_type: 'uefi',
      fedimg_build: 'b1',
      tags: [tag],
    });

    const found = await glance.findImages({ name, tag });
    expect(found.map((i) => i.id)).toEqual([img.id]);
    expect(await glance.findImages({ name, tag: `${tag}-other` })).toEqual([]);
    expect((await glance.findImages({ tag, properties: { fedimg_build: 'b1' } })).map((i) => i.id)).toEqual([img.id]);

    expect(await glance.deleteImage(img.id)).toBe(true);
    expect(await glance.deleteImage(img.id)).toBe(false);
    expect(await glance.getImage(img.id)).toBeUndefined();
  });

  it('uploads with bounded memory: a 128 MiB image never holds more than a few MiB in this process', async () => {
    const big = await makeQcow2(tmp.dir, 'big', 128, 256);
    const img = await glance.createImage({ name: `${tag}-big`, visibility: 'private', tags: [tag] });
    const before = process.memoryUsage().rss;
    let peak = before;
    const started = performance.now();
    const sent = await glanceClient({ progressEveryMs: 0 }).uploadFile(img.id, big.path, {
      onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)),
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(`[openstack] 128 MiB upload: ${seconds.toFixed(1)} s, rss growth ${((peak - before) / 2 ** 20).toFixed(1)} MiB`);
    expect(sent.sha512).toBe(big.sha512);
    expect((await glance.getImage(img.id))?.os_hash_value).toBe(big.sha512);
    expect(peak - before).toBeLessThan(48 * 2 ** 20);
  });

  it('an upload aborted mid-way leaves the image queued (what a crashed worker leaves behind)', async () => {
    const mid = await makeQcow2(tmp.dir, 'mid', 48, 64);
    const img = await glance.createImage({ name: `${tag}-abort`, visibility: 'private', tags: [tag] });
    const ac = new AbortController();
    const reason = new Error('worker gone');
    const err = await glanceClient({ progressEveryMs: 0 })
      .uploadFile(img.id, mid.path, { signal: ac.signal, onProgress: (p) => p.bytes >= 8 * 2 ** 20 && ac.abort(reason) })
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    const status = await eventually(async () => {
      const s = (await glance.getImage(img.id))?.status;
      return s === 'queued' ? s : undefined;
    }, 30_000);
    expect(status).toBe('queued');
  });

  it('imports by web-download from a loopback download server', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/pub/small.qcow2') {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(small.size) });
      createReadStream(small.path).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pub/small.qcow2`;
      const img = await glance.createImage({ name: `${tag}-web`, visibility: 'public', tags: [tag] });
      await glance.importWebDownload(img.id, url);
      const done = await eventually(async () => {
        const s = await glance.getImage(img.id);
        if (s?.status === 'killed') throw new Error('the import failed');
        return s?.status === 'active' ? s : undefined;
      });
      expect(done).toMatchObject({ size: small.size, os_hash_value: small.sha512, checksum: small.md5 });
    } finally {
      server.close();
    }
  });

  it('a request Glance refuses is final and shows Glance\'s own message', async () => {
    const err = await glance
      .createImage({ name: `${tag}-bad`, visibility: 'public', tags: [tag], properties: { os_version: 44 as unknown as string } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackHttpError);
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect((err as Error).message).toContain("44 is not of type 'string'");
    expect((err as Error).message).not.toContain('<br');
  });
});

describe('Keystone against the real Keystone', () => {
  it('finds the image endpoint the stack registered, by region and interface', async () => {
    const session = adminSession();
    for (const iface of ['public', 'internal', 'admin'] as const) {
      expect(await session.endpoint('image', { region: config().region, interface: iface })).toBe('http://127.0.0.1:19292');
    }
  });

  it('a wrong password fails fast, once, with Keystone\'s message and no retry', async () => {
    const proxy = await startFaultProxy({ target: new URL(config().authUrl).origin });
    try {
      const session = new KeystoneSession({
        authUrl: `${proxy.url}/v3`,
        credentials: { method: 'password', username: 'admin', userDomain: 'default', projectName: 'admin', projectDomain: 'default', password: 'wrong' },
      });
      const started = performance.now();
      const err = await session.token().catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(OpenStackAuthError);
      expect((err as Error).message).toMatch(/refused the credentials of user "admin".*HTTP 401 The request you have made requires authentication\./);

      // Through the activity: a non-retryable failure, still one login attempt in all.
      const acts = createGlanceActivities({ client: glanceClient({ session }), tag });
      const env = new MockActivityEnvironment({}, { logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
      const f = await runActivity(env, acts.publishToGlance, {
        name: `${tag}-never`,
        qcow2Path: small.path,
        size: small.size,
        sha256: small.sha256,
        arch: 'x86_64',
        release: '44',
        family: 'Cloud-Base-Generic',
        kind: 'rc',
        buildId: 'b',
        visibility: 'public',
      }).catch((e: unknown) => e);
      expect(f).toBeInstanceOf(ApplicationFailure);
      expect(f).toMatchObject({ type: GlanceFailureType.AuthFailed, nonRetryable: true });
      expect(proxy.count('POST /v3/auth/tokens').requests).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('logs in with an application credential (its own project scope)', async () => {
    const admin = adminSession();
    const t = await admin.token();
    const base = admin.authUrl;
    const headers = { 'x-auth-token': t.value, 'content-type': 'application/json' };
    const users = (await (await fetch(`${base}/users?name=admin`, { headers })).json()) as { users: Array<{ id: string }> };
    const userId = users.users[0]!.id;
    const res = await fetch(`${base}/users/${userId}/application_credentials`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ application_credential: { name: tag, description: 'fedimg integration test' } }),
    });
    expect(res.status).toBe(201);
    const { application_credential: ac } = (await res.json()) as { application_credential: { id: string; secret: string } };
    try {
      const session = new KeystoneSession({ authUrl: config().authUrl, credentials: { method: 'application_credential', id: ac.id, secret: ac.secret } });
      expect((await session.token()).projectId).toBe(t.projectId);
      const client = glanceClient({ session });
      expect(Array.isArray(await client.findImages({ tag }))).toBe(true);
    } finally {
      await fetch(`${base}/users/${userId}/application_credentials/${ac.id}`, { method: 'DELETE', headers });
    }
  });

  it('a token revoked before Glance saw it: Glance says 401, the client logs in once more and carries on', async () => {
    const session = adminSession();
    const first = await session.token();
    const admin = await adminSession().token();
    const revoke = await fetch(`${session.authUrl}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'x-auth-token': admin.value, 'x-subject-token': first.value },
    });
    expect(revoke.status).toBe(204);
    const images = await glanceClient({ session }).findImages({ tag });
    expect(Array.isArray(images)).toBe(true);
    expect(session.logins).toBe(2);
    expect((await session.token()).value).not.toBe(first.value);
  });

  it('the stack keeps the admin password in a 0600 file the settings read', async () => {
    expect(adminPassword()).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(statSync(OPENSTACK_PASSWORD_FILE).mode & 0o777).toBe(0o600);
  });
});
