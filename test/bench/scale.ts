// Scale: BENCH_SCALE_RELEASES (default 20) image releases started at once on ONE worker — the
// real worker process (workers/main.ts, its own concurrency limits) run as a child, so its memory
// is measured alone — against a Koji simulator of our own (fast builds, BENCH_SCALE_IMAGE_MIB,
// default 32 MiB disks) and a private moto, on the stack's Temporal dev server. Each release: one
// family, x86_64 + aarch64, qcow2 + raw.tar.xz, destinations downloads (a temp directory) and EC2
// in 2 regions (us-east-1 registers, eu-west-1 copies). Glance is left out: it is one streamed
// upload per arch to a service outside the worker, not orchestration. Messages go to the broker
// under a bench-only topic prefix nobody consumes, so the stack's catalogue never sees them.
// Reports: wall time and throughput, the worker's peak RSS (VmHWM), history events per release
// (the release's own history and its children's), and orchestration overhead from the histories.
// Needs the stack's Temporal and RabbitMQ (`npm run stack:up`).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import type { Config } from '../../config';
import { releaseInput } from '../../config/release-input';
import { imageWorkflowId } from '../../domain/build-names';
import { REPO_ROOT } from '../../scripts/stack/paths';
import type { ImageReleaseResult } from '../../workflows/image-release';
import { startFastKoji } from '../helpers/fast-koji';
import { historyTree, unionMs, type TreeStats } from '../helpers/history-stats';
import { freePort, startPrivateMoto } from '../helpers/private-moto';
import { releaseConfig } from '../helpers/release-config';
import { testClient } from '../helpers/temporal';
import type { BenchContext } from './run';

const MiB = 1 << 20;
const REGIONS = ['us-east-1', 'eu-west-1'];
const FAMILY = 'Bench-Scale';

function env(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v} is not a positive whole number`);
  return n;
}

export interface ReleaseFigures {
  workflowId: string;
  outcome: string;
  wallMs: number;
  /** Sum over every activity in the release's tree of (closed - started), last attempts. */
  activityMs: number;
  /** Union of the activities' [started, closed) intervals: time at least one of them ran. */
  busyMs: number;
  /** Sum of (started - scheduled): time activities waited for a free slot on the worker. */
  queuedMs: number;
  /** queuedMs by activity type: which of the worker's queues the release waited on. */
  queuedByType: Record<string, number>;
  activities: number;
  histories: number;
  eventsRoot: number;
  eventsTree: number;
  eventsMaxHistory: number;
}

export interface ScaleBenchResult {
  releases: number;
  published: number;
  imageMiB: number;
  regions: string[];
  wallMs: number;
  releasesPerMinute: number;
  /** RSS after start (idle); VmHWM at start (its peak so far: bundling the workflows); peak RSS
   * sampled every 250 ms while the releases ran; VmHWM at the end (the whole life). */
  worker: { idleRssMiB: number; startHwmMiB: number; runPeakRssMiB: number; hwmMiB: number };
  perRelease: ReleaseFigures[];
}

export async function run(ctx: BenchContext): Promise<void> {
  const r = await runScaleBench();
  printTable(r);
  await writeFile(join(ctx.resultsDir, 'scale.json'), JSON.stringify({ at: new Date().toISOString(), ...r }, null, 2));
}

export async function runScaleBench(): Promise<ScaleBenchResult> {
  const count = env('BENCH_SCALE_RELEASES', 20);
  const imageMiB = env('BENCH_SCALE_IMAGE_MIB', 32);
  const tag = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'fedimg-bench-scale-'));
  const { client, close } = await testClient().catch((err: unknown) => {
    throw new Error(`scale bench: cannot reach Temporal (${(err as Error).message}); start the local stack with npm run stack:up`);
  });
  const koji = await startFastKoji(join(dir, 'koji-sim'), { imageSizeBytes: imageMiB * MiB });
  const moto = await startPrivateMoto();
  let worker: ChildProcess | undefined;
  let config: Config | undefined;
  try {
    const rc = releaseConfig({
      dir,
      tag,
      queuePrefix: 'bench-scale',
      koji: { hubUrl: koji.sim.hubUrl, topUrl: koji.sim.topUrl, user: koji.user, passwordFile: koji.passwordFile },
      family: { name: FAMILY, arches: ['x86_64', 'aarch64'], outputs: ['qcow2', 'raw.tar.xz'], destinations: ['downloads', 'ec2'] },
      regions: REGIONS,
      awsEndpoint: moto.url,
      topicPrefix: `bench.scale.${tag}`,
      kojiQueue: `bench-scale-koji-${tag}`,
      workerMetricsAddress: `127.0.0.1:${await freePort()}`,
    });
    config = rc.config;

    worker = await startWorker(rc.file, `bench-scale-${tag}`, join(dir, 'worker.log'));
    const pid = worker.pid!;
    const idle = memory(pid);
    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = memory(pid);
      if (m.rss > peakRss) peakRss = m.rss;
    }, 250);

    const label = `${Date.now()}`;
    const t0 = performance.now();
    const handles = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const name = { version: '44', label: `${label}.${i}` };
        return client.workflow.start('imageReleaseWorkflow', {
          taskQueue: config!.temporal.taskQueues.orchestration,
          workflowId: imageWorkflowId(FAMILY, '44', name),
          args: [releaseInput(config!, { family: FAMILY, release: '44', kind: 'rc', name })],
        });
      }),
    );
    const results = (await Promise.all(handles.map((h) => h.result()))) as ImageReleaseResult[];
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    const hwm = memory(pid).hwm;

    const perRelease: ReleaseFigures[] = [];
    for (const [i, h] of handles.entries()) perRelease.push(figures(h.workflowId, results[i]?.outcome ?? 'unknown', await historyTree(client, h.workflowId, h.firstExecutionRunId)));
    return {
      releases: count,
      published: results.filter((x) => x.outcome === 'published').length,
      imageMiB,
      regions: REGIONS,
      wallMs,
      releasesPerMinute: count / (wallMs / 60_000),
      worker: { idleRssMiB: idle.rss / 1024, startHwmMiB: idle.hwm / 1024, runPeakRssMiB: peakRss / 1024, hwmMiB: hwm / 1024 },
      perRelease,
    };
  } finally {
    if (worker) await stopWorker(worker);
    await close();
    await koji.sim.close();
    moto.stop();
    if (config) await deleteQueue(config.bus.url, config.bus.kojiQueue);
    if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

function figures(workflowId: string, outcome: string, t: TreeStats): ReleaseFigures {
  const root = t.histories[0]!;
  return {
    workflowId,
    outcome,
    wallMs: root.closeMs - root.startMs,
    activityMs: t.activities.reduce((n, a) => n + (a.closedMs - a.startedMs), 0),
    busyMs: unionMs(t.activities.map((a) => [a.startedMs, a.closedMs])),
    queuedMs: t.activities.reduce((n, a) => n + Math.max(0, a.startedMs - a.scheduledMs), 0),
    queuedByType: t.activities.reduce<Record<string, number>>((m, a) => ({ ...m, [a.type]: (m[a.type] ?? 0) + Math.max(0, a.startedMs - a.scheduledMs) }), {}),
    activities: t.activities.length,
    histories: t.histories.length,
    eventsRoot: root.events,
    eventsTree: t.histories.reduce((n, h) => n + h.events, 0),
    eventsMaxHistory: Math.max(...t.histories.map((h) => h.events)),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: number[]) => Math.max(...xs);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function printTable(r: ScaleBenchResult): void {
  const p = r.perRelease;
  const col = (xs: number[], f: (x: number) => string) => `${f(mean(xs)).padStart(10)} ${f(max(xs)).padStart(10)}`;
  const n = (x: number) => x.toFixed(0);
  const ratio = (x: number) => x.toFixed(2);
  console.log(
    [
      `${r.releases} releases at once on one worker: ${FAMILY}, x86_64 + aarch64, ${r.imageMiB} MiB disks, qcow2 + raw.tar.xz, downloads + EC2 in ${r.regions.join(', ')}`,
      ...p.filter((x) => x.outcome !== 'published').map((x) => `NOT PUBLISHED: ${x.workflowId} (${x.outcome})`),
      `published ${r.published}/${r.releases}; wall time for all ${s(r.wallMs)}; throughput ${r.releasesPerMinute.toFixed(1)} releases/min`,
      `worker RSS: peak while the releases ran ${r.worker.runPeakRssMiB.toFixed(0)} MiB (sampled every 250 ms); VmHWM over its life ${r.worker.hwmMiB.toFixed(0)} MiB`,
      `  (after start, idle: RSS ${r.worker.idleRssMiB.toFixed(0)} MiB, VmHWM ${r.worker.startHwmMiB.toFixed(0)} MiB: ${process.env.FEDIMG_WORKFLOW_BUNDLE ? 'prebuilt workflow bundle' : 'bundling the workflow code at start'})`,
      '',
      `per release                                 ${'mean'.padStart(10)} ${'max'.padStart(10)}`,
      `wall time (release start -> close)          ${col(p.map((x) => x.wallMs), s)}`,
      `sum of activity durations                   ${col(p.map((x) => x.activityMs), s)}`,
      `busy time (union of activity intervals)     ${col(p.map((x) => x.busyMs), s)}`,
      `activity queueing (scheduled -> started)    ${col(p.map((x) => x.queuedMs), s)}`,
      `activities                                  ${col(p.map((x) => x.activities), n)}`,
      `workflow histories (release + children)     ${col(p.map((x) => x.histories), n)}`,
      `events, the release's own history           ${col(p.map((x) => x.eventsRoot), n)}`,
      `events, largest single history in the tree  ${col(p.map((x) => x.eventsMaxHistory), n)}   (target <= 1000: ${max(p.map((x) => x.eventsMaxHistory)) <= 1000 ? 'ok' : 'MISSED'})`,
      `events, all histories of the release        ${col(p.map((x) => x.eventsTree), n)}`,
      `overhead = wall / sum of activities         ${col(p.map((x) => x.wallMs / x.activityMs), ratio)}`,
      `wall / busy time                            ${col(p.map((x) => x.wallMs / x.busyMs), ratio)}`,
      `queueing by activity, mean per release: ${queueingByType(p)}`,
      '',
      'wall / sum of activities: how much longer a release took than its activities ran in total (last',
      '  attempts, ActivityTaskStarted -> Completed). Arches, destinations and regions run in parallel, so',
      '  it can be below 1; above 1 means waiting: Koji poll timers, queueing for the worker\'s activity',
      '  slots (files 2, host 4 at a time, shared by all releases) and workflow-task round trips.',
      'wall / busy: wall time against the time at least one of the release\'s activities was running (the',
      '  union of their intervals). A critical path through the activities is never longer than that union,',
      '  so wall / critical path >= wall / busy >= 1. What exceeds 1 is time the release had nothing',
      '  running: queued for a slot, on a timer, or between workflow tasks (the queueing line shows the first).',
    ].join('\n'),
  );
}

/** The activity types releases waited longest for, mean seconds per release. */
function queueingByType(p: ReleaseFigures[]): string {
  const total = new Map<string, number>();
  for (const r of p) for (const [t, ms] of Object.entries(r.queuedByType)) total.set(t, (total.get(t) ?? 0) + ms);
  return [...total]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([t, ms]) => `${t} ${(ms / p.length / 1000).toFixed(1)} s`)
    .join(', ');
}

/** VmRSS and VmHWM (peak) of a process, in KiB, from /proc. */
function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** The real worker (workers/main.ts) with the bench's settings file; resolves once it polls. */
async function startWorker(configFile: string, host: string, logFile: string): Promise<ChildProcess> {
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEDIMG') || k === 'FEDIMG_WORKFLOW_BUNDLE'));
  Object.assign(childEnv, {
    FEDIMG_CONFIG_FILE: configFile,
    FEDIMG_HOST_ID: host,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the bench worker did not start polling within 90 s; see ${logFile}`)), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('polling')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench worker exited with ${code} before polling; see ${logFile}`));
    });
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
}

/** The worker's Koji consumer declared a durable queue for this run; remove it. */
async function deleteQueue(url: string, queue: string): Promise<void> {
  try {
    const conn = await connect(url);
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await conn.close();
  } catch {
    /* the broker is gone or the queue was never made: nothing to remove */
  }
}
