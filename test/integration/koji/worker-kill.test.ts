// A fetch worker SIGKILLed in the middle of a download: the retried stageImage attempt, on another
// worker of the same host (same staging dir, same host id), resumes from the partial file with an
// HTTP Range request instead of fetching the image again. The files come from the Koji simulator
// through a throttling proxy, so the download takes seconds and the kill lands in the middle.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKojiSim, type KojiSim } from '../../../sim/koji';
import { createFetchActivities } from '../../../activities/fetch';
import { stagingFolder } from '../../../activities/staging-paths';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { testClient, uniqueQueue } from '../../helpers/temporal';
import { stageOnlyWorkflow } from './fetch-worker';

const MiB = 1024 * 1024;
const SIZE = 48 * MiB;
const RATE = 4 * MiB; // bytes per second through the proxy
const CHUNK = 8 * MiB; // downloadVerified's default progress (heartbeat) interval
const TASK = 4242;
const FILE = 'big.raw';
const HOST_ID = 'h1';

let sim: KojiSim;
let proxy: Server;
let proxyTopUrl: string;
const requests: Array<{ range: string | undefined; bytes: number }> = [];
const staging = mkdtempSync(join(tmpdir(), 'fedimg-kill-staging-'));
const simData = mkdtempSync(join(tmpdir(), 'fedimg-koji-kill-'));
const source = randomBytes(SIZE);
const sha256 = createHash('sha256').update(source).digest('hex');

beforeAll(async () => {
  sim = await startKojiSim({ dataDir: simData, users: [] });
  mkdirSync(sim.taskDir(TASK), { recursive: true });
  writeFileSync(join(sim.taskDir(TASK), FILE), source);
  // Forwards to the simulator's file server (Range included) at RATE, counting the body bytes
  // written to each client.
  const upstream = new URL(sim.topUrl);
  proxy = createServer((req, res) => {
    const record = { range: req.headers.range, bytes: 0 };
    requests.push(record);
    const path = upstream.pathname.replace(/\/+$/, '') + (req.url ?? '/').replace(/^\/kojifiles/, '');
    const up = httpGet({ host: upstream.hostname, port: upstream.port, path, headers: req.headers.range ? { range: req.headers.range } : {} }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.on('data', (chunk: Buffer) => {
        ur.pause();
        record.bytes += chunk.length;
        res.write(chunk);
        setTimeout(() => ur.resume(), (chunk.length / RATE) * 1000);
      });
      ur.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyTopUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/kojifiles`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  await sim?.close();
  await Promise.all([staging, simData].map((d) => rm(d, { recursive: true, force: true })));
});

/** The first worker: activities only, in a process of its own so the test can SIGKILL it. */
async function startChildWorker(taskQueue: string): Promise<ChildProcess> {
  const root = new URL('../../../', import.meta.url).href;
  const script = `
    const { NativeConnection, Worker, Runtime, DefaultLogger } = await import('@temporalio/worker');
    const { getConfig } = await import(new URL('config/index.ts', ${JSON.stringify(root)}).href);
    const { temporalTarget } = await import(new URL('config/temporal-connection.ts', ${JSON.stringify(root)}).href);
    const { createFetchActivities } = await import(new URL('activities/fetch.ts', ${JSON.stringify(root)}).href);
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const target = temporalTarget(getConfig());
    const connection = await NativeConnection.connect({ address: target.connection.address });
    const activities = createFetchActivities(JSON.parse(process.env.FETCH_DEPS));
    const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue: ${JSON.stringify(taskQueue)}, activities });
    const running = worker.run();
    process.stdout.write('ready\\n');
    await running;
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(root),
    env: { ...process.env, FETCH_DEPS: JSON.stringify(deps(taskQueue)) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fetch worker did not start in 60 s')), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`fetch worker exited with ${code}`)));
  });
  return child;
}

function deps(taskQueue: string) {
  return { topUrl: proxyTopUrl, stagingDir: staging, maxImageBytes: 1024 ** 3, hostTaskQueue: taskQueue, hostId: HOST_ID };
}

async function waitFor(cond: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sizeOf = (p: string) => stat(p).then((s) => s.size, () => 0);

describe('stageImage across a worker kill', () => {
  it('a worker killed mid-download resumes from its offset (bytes fetched twice stay under one chunk)', async () => {
    const taskQueue = uniqueQueue('fetch-kill');
    const imageKey = `kill-${randomUUID().slice(0, 8)}/x86_64`;
    const partial = join(stagingFolder(staging, imageKey), FILE);
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fetch-worker.ts', import.meta.url)), logger: quiet });
    const target = temporalTarget(getConfig());
    const connection = await NativeConnection.connect({ address: target.connection.address });
    const { client, close } = await testClient();
    // Workflows only: the first activity attempt can go nowhere but the child.
    const orchestrator = await Worker.create({ connection, namespace: target.namespace, taskQueue, workflowBundle });
    let child: ChildProcess | undefined;
    let second: Worker | undefined;
    try {
      const out = await orchestrator.runUntil(async () => {
        child = await startChildWorker(taskQueue);
        const handle = await client.workflow.start(stageOnlyWorkflow, {
          taskQueue,
          workflowId: `${taskQueue}-wf`,
          args: [{ imageKey, image: { arch: 'x86_64', childTaskId: TASK, file: FILE, size: SIZE, sha256 } }],
        });
        await waitFor(async () => (await sizeOf(partial)) > 12 * MiB, 'the partial file to pass 12 MiB');
        child.kill('SIGKILL');
        await new Promise((r) => child?.once('exit', r));
        const onDisk = await sizeOf(partial);
        expect(onDisk).toBeLessThan(SIZE);
        // Same host (same staging dir and host id): picks up the retry once the heartbeat times out.
        second = await Worker.create({ connection, namespace: target.namespace, taskQueue, activities: createFetchActivities(deps(taskQueue)) });
        const running = second.run();
        try {
          return { staged: await handle.result(), onDisk };
        } finally {
          second.shutdown();
          await running;
        }
      });
      expect(out.staged).toMatchObject({ path: partial, size: SIZE, sha256 });
      expect(createHash('sha256').update(await readFile(partial)).digest('hex')).toBe(sha256);
      expect(requests).toHaveLength(2);
      expect(requests[0]?.range).toBeUndefined();
      expect(requests[1]?.range).toBe(`bytes=${out.onDisk}-`);
      expect(out.onDisk).toBeGreaterThan(0);
      const sent = requests.reduce((n, r) => n + r.bytes, 0);
      const fetchedTwice = sent - SIZE;
      console.log(`worker-kill: killed at ${out.onDisk} bytes on disk; bytes fetched twice: ${fetchedTwice}`);
      // The resume trusts the partial file on disk, not the last heartbeat's offset, so only what
      // was in flight at the kill (socket buffers, a pending write) is fetched again; a resume from
      // the heartbeat offset could refetch up to a whole progress chunk.
      expect(fetchedTwice).toBeGreaterThanOrEqual(0);
      expect(fetchedTwice).toBeLessThan(CHUNK);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await close();
      await connection.close();
    }
  });
});
