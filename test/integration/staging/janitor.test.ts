// The host's staging janitor against the real dev server: folders of releases that are no longer
// running (closed, or unknown to Temporal) go; a running release's folder stays; a folder without
// a marker stays until it has been idle long enough; a symlink is never followed.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingFolder, writeStagingMarker } from '../../../activities/staging-paths';
import { sweepStaging } from '../../../workers/staging-janitor';
import { testClient, uniqueQueue, withWorkers } from '../../helpers/temporal';

let client: Client;
let close: () => Promise<void>;
let root: string;
const queue = uniqueQueue('janitor-nobody-polls');
const started: string[] = [];

beforeAll(async () => {
  ({ client, close } = await testClient());
  root = await mkdtemp(join(tmpdir(), 'fedimg-janitor-'));
});
afterAll(async () => {
  for (const id of started) await client.workflow.getHandle(id).terminate('test done').catch(() => undefined);
  await rm(root, { recursive: true, force: true });
  await close();
});

/** A release workflow id that Temporal holds as running (nobody polls its queue) or closed. */
async function release(state: 'running' | 'terminated' | 'completed'): Promise<string> {
  const id = `image/Janitor-${randomUUID().slice(0, 8)}/44/44-1.${state}`;
  if (state === 'completed') {
    // A real run to completion: the health workflow with no queues to probe, on our own worker.
    const q = uniqueQueue('janitor-completes');
    await withWorkers([{ taskQueue: q }], (c) => c.workflow.execute('healthWorkflow', { workflowId: id, taskQueue: q, args: [{ taskQueues: [] }] }));
    return id;
  }
  const h = await client.workflow.start('imageReleaseWorkflow', { workflowId: id, taskQueue: queue, args: [] });
  started.push(id);
  if (state === 'terminated') await h.terminate('test: a release that ended without cleaning up');
  return id;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function staged(stagingDir: string, imageKey: string, marker = true): Promise<string> {
  const dir = stagingFolder(stagingDir, imageKey);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Fedora.x86_64.raw'), Buffer.alloc(64 * 1024, 1));
  if (marker) await writeStagingMarker(dir, imageKey);
  return dir;
}

describe('staging janitor', () => {
  it('removes folders of completed, terminated and unknown releases, keeps the running one, and says why', async () => {
    const stagingDir = join(root, 'by-workflow');
    const running = await staged(stagingDir, `${await release('running')}/x86_64`);
    const closedId = await release('terminated');
    const closed = await staged(stagingDir, `${closedId}/aarch64`);
    const completedId = await release('completed');
    const completed = await staged(stagingDir, `${completedId}/ppc64le`);
    const unknown = await staged(stagingDir, 'image/Never-Started/44/44-1.0/x86_64');

    const round = await sweepStaging({ stagingDir, client, orphanAfterMs: 3_600_000 });

    expect(existsSync(running)).toBe(true);
    expect(existsSync(closed)).toBe(false);
    expect(existsSync(completed)).toBe(false);
    expect(existsSync(unknown)).toBe(false);
    expect(round.kept).toBe(1);
    const byWorkflow = Object.fromEntries(round.removed.map((r) => [r.workflowId, r.why]));
    expect(byWorkflow).toEqual({
      [closedId]: 'the release is terminated',
      [completedId]: 'the release is completed',
      'image/Never-Started/44/44-1.0': 'Temporal knows no such release',
    });
    for (const r of round.removed) expect(r.bytes).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('keeps an unmarked folder while it is recent and removes it once idle past orphanAfter', async () => {
    const stagingDir = join(root, 'unmarked');
    const fresh = await staged(stagingDir, 'image/Fresh/44/44-1.0/x86_64', false);
    const old = await staged(stagingDir, 'image/Old/44/44-1.0/x86_64', false);
    const dayAgo = new Date(Date.now() - 24 * 3_600_000);
    await utimes(join(old, 'Fedora.x86_64.raw'), dayAgo, dayAgo);
    await utimes(old, dayAgo, dayAgo);

    const round = await sweepStaging({ stagingDir, client, orphanAfterMs: 3_600_000 });

    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(round.removed.map((r) => r.why)).toEqual(['no marker and unchanged for 24 h']);
  });

  it('never follows a symlink, in the staging dir or inside a folder it removes', async () => {
    const stagingDir = join(root, 'links');
    const outside = join(root, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'precious'), 'not staged');
    // Looks like a closed release's folder to a janitor that followed the link.
    await writeStagingMarker(outside, `${await release('terminated')}/x86_64`);
    const closed = await staged(stagingDir, `${await release('terminated')}/x86_64`);
    await symlink(outside, join(closed, 'escape'));
    await symlink(outside, join(stagingDir, 'linked-folder'));

    await sweepStaging({ stagingDir, client, orphanAfterMs: 3_600_000 });

    expect(existsSync(closed)).toBe(false);
    expect((await readdir(outside)).sort()).toEqual(['.fedimg-image.json', 'precious']);
    expect(await readdir(stagingDir)).toEqual(['linked-folder']);
  });

  it('keeps everything while Temporal cannot answer', async () => {
    const stagingDir = join(root, 'offline');
    const closed = await staged(stagingDir, `${await release('terminated')}/x86_64`);
    const another = await staged(stagingDir, 'image/Never-Started/44/44-1.0/aarch64');
    // A real client whose server is gone: a loopback port nobody listens on.
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, connectTimeout: '1s' });
    const offline = new Client({ connection });
    const lines: string[] = [];
    try {
      const round = await sweepStaging({ stagingDir, client: offline, orphanAfterMs: 3_600_000, log: (l) => lines.push(l) });
      expect(existsSync(closed)).toBe(true);
      expect(existsSync(another)).toBe(true);
      expect(round.undecided).toBe(2);
      // Asked once, not once per folder.
      expect(lines.filter((l) => l.includes('keeping staged files this round'))).toHaveLength(1);
    } finally {
      await connection.close().catch(() => undefined);
    }
  });
});
