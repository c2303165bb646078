// Shared by the OpenStack integration tests: the stack's real Keystone and Glance (started here
// too if the global setup did not), clients logged in as the stack's admin, real qcow2 files,
// and a tag per test file so files never see each other's images.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConfig } from '../../../config';
import { GlanceClient, KeystoneSession, type GlanceClientOptions, type KeystoneCredentials } from '../../../clients/openstack';
import { OPENSTACK_PASSWORD_FILE, openstackServices } from '../../../scripts/stack/services/openstack';
import { waitUntil } from '../../../scripts/stack/process';

export const config = () => getConfig().openstack;

/** Starts Keystone and Glance when they are not answering (the global setup normally has). */
export async function ensureOpenstack(): Promise<void> {
  for (const s of openstackServices(getConfig())) {
    if (await s.healthy()) continue;
    await s.ensureInstalled((l) => console.log(`[openstack] ${l}`));
    await s.start();
    if (!(await waitUntil(() => s.healthy(), s.startTimeoutS * 1000))) throw new Error(`${s.name} did not become healthy`);
  }
}

export const adminPassword = () => readFileSync(OPENSTACK_PASSWORD_FILE, 'utf8').trim();

export function adminCredentials(password = adminPassword()): KeystoneCredentials {
  return { method: 'password', username: 'admin', userDomain: 'default', projectName: 'admin', projectDomain: 'default', password };
}

export function adminSession(opts: { authUrl?: string; password?: string } = {}): KeystoneSession {
  return new KeystoneSession({ authUrl: opts.authUrl ?? config().authUrl, credentials: adminCredentials(opts.password) });
}

export function glanceClient(opts: Partial<GlanceClientOptions> = {}): GlanceClient {
  return new GlanceClient({ session: opts.session ?? adminSession(), region: config().region, interface: config().interface, ...opts });
}

export const uniqueTag = (what: string) => `fedimg-it-${what}-${randomUUID().slice(0, 8)}`;

/** Deletes every image carrying `tag` (after a test file). */
export async function deleteTagged(client: GlanceClient, tag: string): Promise<void> {
  for (const img of await client.findImages({ tag })) await client.deleteImage(img.id);
}

export interface Qcow2 {
  path: string;
  size: number;
  sha256: string;
  sha512: string;
  md5: string;
}

/**
 * A real qcow2: `qemu-img create -f qcow2` of `virtualMiB`, then `dataMiB` of random data written
 * into it with `qemu-img convert -n` from a small raw file.
 */
export async function makeQcow2(dir: string, name: string, dataMiB: number, virtualMiB = 64): Promise<Qcow2> {
  const raw = join(dir, `${name}.raw`);
  const path = join(dir, `${name}.qcow2`);
  const out = openSync(raw, 'w');
  try {
    execFileSync('head', ['-c', `${dataMiB}M`, '/dev/urandom'], { stdio: ['ignore', out, 'inherit'] });
  } finally {
    closeSync(out);
  }
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${virtualMiB}M`]);
  execFileSync('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'qcow2', raw, path]);
  await rm(raw);
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' })) as { format: string };
  if (info.format !== 'qcow2') throw new Error(`${path} is ${info.format}, not qcow2`);
  const { size } = await stat(path);
  return { path, size, ...(await hashes(path)) };
}

export async function hashes(path: string): Promise<{ sha256: string; sha512: string; md5: string }> {
  const h = { sha256: createHash('sha256'), sha512: createHash('sha512'), md5: createHash('md5') };
  for await (const chunk of createReadStream(path)) for (const x of Object.values(h)) x.update(chunk as Buffer);
  return { sha256: h.sha256.digest('hex'), sha512: h.sha512.digest('hex'), md5: h.md5.digest('hex') };
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls until `check` returns a value (the tests' stand-in for a workflow's timers). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
