// The chaos run: its own stack, fault proxies in front of Koji, AWS and Glance, N releases, and
// while they run a seeded sequence of disruptions — the worker SIGKILLed K times (and started
// again), the Temporal dev server restarted once, RabbitMQ restarted once. Then every invariant
// is read from the services themselves. `npm run chaos` prints the result; test/chaos runs a small one.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { releaseInput } from '../../config/release-input';
import { imageWorkflowId } from '../../domain/build-names';
import { seededRandom } from '../../sim/fault-proxy';
import { REPO_ROOT } from '../stack/paths';
import { declareAuditQueue, drainAuditQueue } from './audit-queue';
import { CHAOS_FAMILY, chaosEnv, chaosPorts, writeChaosConfigs } from './chaos-config';
import { acceptedRegistrations, startChaosProxies, tallyProxies, type ProxyTally } from './fault-proxies';
import { checkInvariants, type ChaosRelease, type Invariant } from './invariants';
import { ChaosWorker } from './worker-process';

const run = promisify(execFile);

export interface ChaosOptions {
  releases: number;
  seed: number;
  kills: number;
  /** Share of calls to Koji, AWS and Glance answered with a fault (0.2 = 20%). */
  faultRate: number;
  /** Added to every default port of the local stack. */
  portOffset: number;
  stackDir: string;
  /** Seconds between disruptions, drawn between these two. */
  gapSeconds: [number, number];
  /** The releases start evenly spread over this many seconds (all at once: 0). */
  startSpreadSeconds: number;
  /** Give up waiting for the releases after this long. */
  timeoutMinutes: number;
  /** Leave the chaos stack running afterwards. */
  keep: boolean;
  log: (line: string) => void;
}

export interface Disruption {
  kind: 'kill worker' | 'restart temporal' | 'restart rabbitmq';
  /** Seconds since the releases started. */
  at?: number;
  /** How long until the service (or worker) answered again. */
  tookSeconds?: number;
  /** What the releases were doing at that moment. */
  during?: string;
  skipped?: string;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  invariants: Invariant[];
  disruptions: Disruption[];
  proxies: ProxyTally[];
  releasesSeconds: number;
  totalSeconds: number;
  ok: boolean;
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'log'> = {
  releases: 3,
  seed: 1,
  kills: 4,
  faultRate: 0.2,
  portOffset: 100,
  stackDir: join(REPO_ROOT, '.stack', 'chaos'),
  gapSeconds: [8, 25],
  startSpreadSeconds: 60,
  timeoutMinutes: 30,
  keep: false,
};

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const { log } = opts;
  const stackDir = resolve(opts.stackDir);
  if (!basename(stackDir).includes('chaos')) throw new Error(`--stack-dir ${stackDir}: its name must contain "chaos" (the folder is wiped at start)`);
  const ports = chaosPorts(opts.portOffset);

  // A previous run's stack (--keep, or a crash) is stopped and its state wiped: every count below
  // must be this run's alone.
  const previous = join(stackDir, 'chaos-stack.json');
  if (existsSync(previous)) await stackCtl(stackDir, previous, ['down'], log).catch(() => undefined);
  rmSync(stackDir, { recursive: true, force: true });

  const proxies = await startChaosProxies(ports, opts.faultRate, opts.seed);
  const cfg = writeChaosConfigs(stackDir, ports, { koji: proxies.koji.url, aws: proxies.aws.url, glance: proxies.glance.url });
  let worker: ChaosWorker | undefined;
  let connection: Connection | undefined;
  try {
    log(`bringing up the chaos stack in ${stackDir} (ports +${opts.portOffset})`);
    await stackCtl(stackDir, cfg.stackFile, ['up'], log);
    await declareAuditQueue(cfg.stack.bus.url, cfg.stack.bus.exchange, cfg.stack.bus.topicPrefix);

    connection = await Connection.connect({ address: cfg.stack.temporal.address });
    const client = new Client({ connection, namespace: cfg.stack.temporal.namespace });
    worker = new ChaosWorker(
      {
        ...chaosEnv(stackDir, cfg.workerFile),
        AWS_ACCESS_KEY_ID: 'fedimg-local',
        AWS_SECRET_ACCESS_KEY: 'fedimg-local',
        AWS_REGION: cfg.stack.aws.sourceRegion,
        FEDIMG_HOST_ID: 'chaos-host',
      },
      join(stackDir, 'logs'),
      cfg.stack.temporal.workerMetricsAddress,
    );
    await worker.start();

    const releases: ChaosRelease[] = [];
    const family = cfg.stack.families.find((f) => f.name === CHAOS_FAMILY);
    if (!family) throw new Error('the chaos config lost its family');
    const inputs = Array.from({ length: opts.releases }, (_, k) => {
      const name = { version: '44', label: `${opts.seed}.${k + 1}` };
      const workflowId = imageWorkflowId(CHAOS_FAMILY, '44', name);
      releases.push({ workflowId, family: CHAOS_FAMILY, release: '44', name, subvariant: family.subvariant, arches: family.arches });
      return { workflowId, input: releaseInput(cfg.stack, { family: CHAOS_FAMILY, release: '44', kind: 'rc', name, scratch: false }) };
    });
    // Releases start spread over startSpreadSeconds, so disruptions meet every phase of one.
    const releasesStarted = Date.now();
    const notStarted = new Set(releases.map((r) => r.workflowId));
    const starting = (async () => {
      for (const [k, { workflowId, input }] of inputs.entries()) {
        const at = inputs.length > 1 ? (k * opts.startSpreadSeconds) / (inputs.length - 1) : 0;
        await sleep(Math.max(0, releasesStarted + at * 1000 - Date.now()));
        // Temporal may be restarting just then: try again until it answers.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.workflow.start('imageReleaseWorkflow', { taskQueue: cfg.stack.temporal.taskQueues.orchestration, workflowId, args: [input] });
            break;
          } catch (err) {
            if (attempt >= 60) throw err;
            await sleep(2000);
          }
        }
        notStarted.delete(workflowId);
        log(`t+${Math.round((Date.now() - releasesStarted) / 1000)}s started ${workflowId}`);
      }
    })();
    starting.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"

    const random = seededRandom(opts.seed);
    const plan = shuffle<Disruption['kind']>(['restart temporal', 'restart rabbitmq', ...Array<Disruption['kind']>(opts.kills).fill('kill worker')], random);
    const disruptions: Disruption[] = [];
    const w = worker;
    for (const kind of plan) {
      const [lo, hi] = opts.gapSeconds;
      await sleep((lo + random() * (hi - lo)) * 1000);
      const started = () => releases.filter((r) => !notStarted.has(r.workflowId));
      let running = await runningReleases(client, started());
      // Between two releases: the disruption waits for the next one, so it hits a running release.
      while (running.length === 0 && notStarted.size > 0) {
        await sleep(1000);
        running = await runningReleases(client, started());
      }
      if (running.length === 0) {
        disruptions.push({ kind, skipped: 'every release had finished' });
        continue;
      }
      const during = await describeProgress(client, running);
      const at = Math.round((Date.now() - releasesStarted) / 1000);
      log(`t+${at}s ${kind} during: ${during}`);
      const t0 = Date.now();
      if (kind === 'kill worker') {
        await w.kill();
        await sleep(1000 + random() * 4000);
        await w.start();
      } else {
        await stackCtl(stackDir, cfg.stackFile, ['restart', kind === 'restart temporal' ? 'temporal' : 'rabbitmq'], log);
      }
      disruptions.push({ kind, at, tookSeconds: Math.round((Date.now() - t0) / 1000), during });
    }

    await starting;
    const deadline = releasesStarted + opts.timeoutMinutes * 60_000;
    while (Date.now() < deadline && (await runningReleases(client, releases)).length > 0) await sleep(3000);
    const releasesSeconds = Math.round((Date.now() - releasesStarted) / 1000);
    log(`releases ${(await runningReleases(client, releases)).length === 0 ? 'finished' : 'still running at the time limit'} after ${releasesSeconds} s`);

    // The worker stops first, so nothing changes under the checks.
    await w.stop();
    const messages = await drainAuditQueue(cfg.stack.bus.url);
    const invariants = await checkInvariants({ config: cfg.stack, releases, temporal: client, messages, registrations: acceptedRegistrations(proxies) });
    const skipped = disruptions.filter((d) => d.skipped);
    invariants.push({
      name: 'every planned disruption hit running releases',
      ok: skipped.length === 0,
      counts: `${disruptions.length - skipped.length}/${plan.length}`,
      problems: skipped.map((d) => `${d.kind}: skipped, ${d.skipped}`),
    });
    return {
      options: { ...opts, stackDir },
      invariants,
      disruptions,
      proxies: tallyProxies(proxies),
      releasesSeconds,
      totalSeconds: Math.round((Date.now() - started) / 1000),
      ok: invariants.every((i) => i.ok),
    };
  } finally {
    await worker?.stop().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await proxies.close();
    if (!opts.keep) await stackCtl(stackDir, cfg.stackFile, ['down'], log).catch((err: unknown) => log(`stack down: ${String(err)}`));
    else log(`--keep: the chaos stack stays up (stop it: FEDIMG_STACK_DIR=${stackDir} FEDIMG_CONFIG_FILE=${cfg.stackFile} npx tsx scripts/chaos/stack-ctl.ts down)`);
  }
}

async function stackCtl(stackDir: string, configFile: string, args: string[], log: (l: string) => void): Promise<void> {
  try {
    const { stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/chaos/stack-ctl.ts', ...args], {
      cwd: REPO_ROOT,
      env: chaosEnv(stackDir, configFile),
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const line of stderr.trimEnd().split('\n').filter(Boolean)) log(line);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`chaos stack ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Releases whose workflow is still open; a Temporal that is restarting counts them all as running. */
async function runningReleases(client: Client, releases: ChaosRelease[]): Promise<ChaosRelease[]> {
  const out: ChaosRelease[] = [];
  for (const r of releases) {
    try {
      const d = await client.workflow.getHandle(r.workflowId).describe();
      if (d.status.name === 'RUNNING') out.push(r);
    } catch {
      out.push(r);
    }
  }
  return out;
}

interface Progress {
  stage: string;
  arches: Array<{ arch: string; stage: string; destinations: Record<string, { state: string }> }>;
}

/** "1.2: x86_64 publishing (ec2 running), aarch64 converting" for each running release. */
async function describeProgress(client: Client, running: ChaosRelease[]): Promise<string> {
  const parts = await Promise.all(
    running.map(async (r) => {
      try {
        const p = await Promise.race([
          client.workflow.getHandle(r.workflowId).query<Progress>('progress'),
          sleep(5000).then(() => {
            throw new Error('no answer');
          }),
        ]);
        const arches = p.arches.map((a) => {
          const busy = Object.entries(a.destinations).filter(([, d]) => d.state === 'running').map(([k]) => k);
          return `${a.arch} ${a.stage}${busy.length ? ` (${busy.join('+')})` : ''}`;
        });
        return `${r.name.label} ${p.stage}: ${arches.join(', ')}`;
      } catch {
        return `${r.name.label} (no progress answer)`;
      }
    }),
  );
  return parts.join('; ');
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
