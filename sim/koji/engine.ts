// The builder side of the simulator: what kojid and its plugins would do with a FREE image task.
// After configurable delays the parent opens, spawns one subtask per arch (label = arch,
// priority parent-1, same owner and channel), waits for them, and closes with kojid's report
// string; the subtasks open, write their files and close with results shaped like the recorded
// builder's. A subtask can be made to fail (BuildError): it writes its log, fails, the parent
// cancels the unfinished siblings and fails with the same fault (as in 05/05b).
//
// A non-scratch build (kojid's BuildImageTask): the parent first makes a BUILDING build record
// (host.initImageBuild; an NVR in use fails the task as the hub refuses it), and once its image
// subtasks closed, host.completeImageBuild moves their files to packages/<n>/<v>/<r>/images/
// with symlinks left in work/, sets the build COMPLETE and queues a top-level buildNotification
// task (owned by the build host); then a `tagBuild` subtask (arch noarch, label "tag", result nil)
// tags the build into the target's destination tag before the parent closes.
//
// With autoRun off nothing moves until a test calls advance(parentId, 'open' | 'done').
import { setTimeout as sleep } from 'node:timers/promises';
import { isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { Artifacts } from './artifacts';
import { BUILD_STATES } from './builds';
import type { BuildRecord, BuildStore } from './builds';
import { planChild, planParent } from './image-kinds';
import type { ChildPlan, KindOptions, ParentMethod } from './image-kinds';
import { FAULT_CODES, KojiFault } from './koji-errors';
import type { Targets } from './targets';
import { TASK_STATES, isFinished } from './task-store';
import type { TaskRecord, TaskStore } from './task-store';
import { taskRelPath } from './task-files';
import type { TaskFiles } from './task-files';
import type { Users } from './users';

export interface Timing {
  /** FREE -> OPEN of the parent (a builder picking the task up). */
  openMs: number;
  /** Subtasks created -> subtasks OPEN. */
  childStartMs: number;
  /** Subtask OPEN -> CLOSED (at least; image generation may take longer). A failure comes at half. */
  buildMs: number;
  /** Last subtask CLOSED -> parent CLOSED. */
  finishMs: number;
}

export const TIMING_PRESETS: Record<'fast' | 'realistic', Timing> = {
  fast: { openMs: 10, childStartMs: 10, buildMs: 30, finishMs: 10 },
  realistic: { openMs: 2000, childStartMs: 1500, buildMs: 8000, finishMs: 1000 },
};

export interface FailureSpec {
  arch?: string;
  faultCode?: number;
  faultString?: string;
}

export interface EngineDeps {
  store: TaskStore;
  builds: BuildStore;
  files: TaskFiles;
  artifacts: Artifacts;
  targets: Targets;
  users: Users;
  kinds: KindOptions;
  timing: Timing;
  autoRun: boolean;
  hostId: number;
  /** The builder's KojiDir, as printed in the parent's report string. */
  builderTopDir: string;
  log: (line: string) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface Run {
  parentId: number;
  abort: AbortController;
  gates: { open: Deferred; build: Deferred };
  /** Resolved once the parent is OPEN with its subtasks (or has ended). */
  opened: Deferred;
  done: Promise<void>;
  failure?: FailureSpec;
  /** The build record of a non-scratch build, once initImageBuild made it. */
  build?: BuildRecord;
}

/** "SIMFAIL" anywhere in a request fails its first arch; "SIMFAIL:<arch>" that arch. */
export function magicFailure(requestXml: string): FailureSpec | undefined {
  const m = /SIMFAIL(?::([A-Za-z0-9_]+))?/.exec(requestXml);
  if (!m) return undefined;
  return m[1] ? { arch: m[1] } : {};
}

export class Engine {
  private readonly runs = new Map<number, Run>();

  constructor(private readonly d: EngineDeps) {}

  /** Takes a new FREE parent task and runs it (now or when advanced). */
  submit(parent: TaskRecord, failure?: FailureSpec): void {
    const run: Run = {
      parentId: parent.id,
      abort: new AbortController(),
      gates: { open: deferred(), build: deferred() },
      opened: deferred(),
      done: Promise.resolve(),
      failure: failure ?? magicFailure(parent.requestXml),
    };
    run.done = this.run(run)
      .catch((err: unknown) => {
        if (run.abort.signal.aborted) return;
        this.d.log(`task ${parent.id}: builder error: ${(err as Error).stack ?? String(err)}`);
        const p = this.d.store.get(parent.id);
        if (p && !isFinished(p.state)) this.d.store.fail(p, FAULT_CODES.GenericError, `koji-sim builder error: ${(err as Error).message}`);
      })
      .finally(() => run.opened.resolve());
    this.runs.set(parent.id, run);
  }

  /** Manual mode: let a parent open (and spawn), or run to the end. Resolves when it got there. */
  async advance(parentId: number, to: 'open' | 'done'): Promise<void> {
    const run = this.runs.get(parentId);
    if (!run) throw new Error(`task ${parentId} is not a build the simulator runs`);
    run.gates.open.resolve();
    if (to === 'open') return run.opened.promise;
    run.gates.build.resolve();
    return run.done;
  }

  /** Resolves when the build's runner has finished (closed, failed or canceled). */
  settled(parentId: number): Promise<void> {
    return this.runs.get(parentId)?.done ?? Promise.resolve();
  }

  /** cancelTask: the task (and with recurse its unfinished descendants) become CANCELED. */
  cancel(task: TaskRecord, recurse: boolean): void {
    const { store } = this.d;
    store.cancel(task);
    if (recurse) {
      const walk = (id: number) => {
        for (const c of store.children(id)) {
          store.cancel(c);
          walk(c.id);
        }
      };
      walk(task.id);
    }
    const run = this.runs.get(task.id);
    if (run) {
      run.abort.abort();
      if (run.build?.state === BUILD_STATES.BUILDING) this.d.builds.fail(run.build, BUILD_STATES.CANCELED);
    }
  }

  async close(): Promise<void> {
    for (const run of this.runs.values()) run.abort.abort();
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  private async gate(run: Run, which: 'open' | 'build', ms: number): Promise<void> {
    const signal = run.abort.signal;
    if (!this.d.autoRun) {
      await Promise.race([run.gates[which].promise, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
      signal.throwIfAborted();
    }
    if (ms > 0) await sleep(ms, undefined, { signal });
  }

  private async run(run: Run): Promise<void> {
    const { store, files, artifacts, targets, kinds, hostId, timing } = this.d;
    const signal = run.abort.signal;
    const parent = store.get(run.parentId)!;
    try {
      await this.gate(run, 'open', timing.openMs);
    } catch {
      return; // canceled while FREE
    }
    if (parent.state !== TASK_STATES.FREE) return;
    store.open(parent, hostId);
    const plan = planParent(parent.method as ParentMethod, store.request(parent), targets, kinds);
    const parentDir = await files.ensureTaskDir(parent.id);
    await artifacts.write(parentDir, plan.files, { taskId: parent.id, method: parent.method, arch: parent.arch }, signal);
    if (plan.error) {
      store.fail(parent, plan.error.faultCode, plan.error.faultString);
      return;
    }
    const parentOptions = parentOpts(parent.method as ParentMethod, store.request(parent));
    const scratch = Boolean(parentOptions.scratch);
    if (!scratch && plan.children.length > 0) {
      try {
        run.build = this.initBuild(parent, plan.children.map((c) => c.request), typeof parentOptions.release === 'string' && parentOptions.release !== '');
      } catch (err) {
        if (!(err instanceof KojiFault)) throw err;
        store.fail(parent, err.faultCode, err.message);
        return;
      }
    }
    const children = plan.children.map((spec) =>
      store.create({
        method: spec.method,
        arch: spec.arch,
        label: spec.label,
        owner: parent.owner,
        parent: parent.id,
        channel: 'default',
        channelId: parent.channelId,
        priority: parent.priority - 1,
        request: spec.request,
      }),
    );
    const optional = new Set(plan.children.filter((c) => c.optional).map((c) => c.arch));
    store.update(parent, { waiting: true });
    for (const c of children) store.update(c, { awaited: true });
    run.opened.resolve();

    try {
      await this.gate(run, 'build', timing.childStartMs);
    } catch {
      return;
    }
    for (const c of children) if (c.state === TASK_STATES.FREE) store.open(c, hostId);
    const started = Date.now();
    const failArch = run.failure ? (run.failure.arch ?? children[0]?.arch) : undefined;

    type Outcome = { child: TaskRecord; plan: ChildPlan; fault?: { faultCode: number; faultString: string }; aborted?: boolean };
    // Production of the subtasks' files; a fatal failure aborts the siblings' work in progress.
    const production = new AbortController();
    const stop = () => production.abort();
    signal.addEventListener('abort', stop, { once: true });
    const produce = async (child: TaskRecord): Promise<Outcome> => {
      const cplan = planChild(child.method, child.id, store.request(child), kinds);
      const info = { taskId: child.id, method: child.method, arch: child.arch, plan: cplan };
      try {
        const dir = await files.ensureTaskDir(child.id);
        if (cplan.forcedFailure || child.arch === failArch) {
          await artifacts.write(dir, cplan.failureFiles, info, production.signal);
          const fault = cplan.forcedFailure
            ? cplan.failure
            : { faultCode: run.failure?.faultCode ?? cplan.failure.faultCode, faultString: run.failure?.faultString ?? cplan.failure.faultString };
          return { child, plan: cplan, fault };
        }
        await artifacts.write(dir, cplan.files, info, production.signal);
        return { child, plan: cplan };
      } catch (err) {
        if (production.signal.aborted) return { child, plan: cplan, aborted: true };
        this.d.log(`task ${child.id}: ${(err as Error).message}`);
        return { child, plan: cplan, fault: { faultCode: FAULT_CODES.GenericError, faultString: `koji-sim: ${(err as Error).message}` } };
      }
    };
    const pending = children.map(produce);
    let firstFatal: (o: Outcome) => void = () => {};
    const fatalSeen = new Promise<Outcome>((r) => (firstFatal = r));
    for (const p of pending) void p.then((o) => o.fault && !optional.has(o.child.arch) && firstFatal(o));
    const all = Promise.all(pending);
    const race = await Promise.race([all.then(() => undefined), fatalSeen]);
    const outcomes: Outcome[] = race === undefined ? await all : [];

    // A failure surfaces halfway through the build time, successes at its end: a failing arch
    // fails while its siblings still run (they are canceled), whatever order the files took.
    try {
      await sleepUntil(started + timing.buildMs / 2, signal);
    } finally {
      if (race !== undefined || signal.aborted) stop();
    }
    if (race !== undefined) {
      const done = await all;
      store.fail(race.child, race.fault!.faultCode, race.fault!.faultString);
      store.update(race.child, { awaited: false });
      for (const o of done) {
        if (o === race || isFinished(o.child.state)) continue;
        if (o.fault && optional.has(o.child.arch)) {
          store.fail(o.child, o.fault.faultCode, o.fault.faultString);
          store.update(o.child, { awaited: false });
        } else store.cancel(o.child);
      }
      if (!isFinished(parent.state)) store.fail(parent, race.fault!.faultCode, race.fault!.faultString);
      if (run.build) this.d.builds.fail(run.build);
      return;
    }
    signal.removeEventListener('abort', stop);
    for (const o of outcomes.filter((x) => x.fault)) {
      if (isFinished(o.child.state)) continue;
      store.fail(o.child, o.fault!.faultCode, o.fault!.faultString);
      store.update(o.child, { awaited: false });
    }
    const canceledChild = children.find((c) => c.state === TASK_STATES.CANCELED);
    if (canceledChild) {
      for (const c of children) if (!isFinished(c.state)) store.cancel(c);
      if (!isFinished(parent.state)) store.fail(parent, FAULT_CODES.GenericError, `Task ${canceledChild.id} is canceled`);
      if (run.build) this.d.builds.fail(run.build);
      return;
    }
    await sleepUntil(started + timing.buildMs, signal);
    const results: Array<{ child: TaskRecord; plan: ChildPlan }> = [];
    for (const o of outcomes) {
      if (o.fault || o.aborted) continue;
      if (o.child.state === TASK_STATES.CANCELED) {
        for (const c of children) if (!isFinished(c.state)) store.cancel(c);
        store.fail(parent, FAULT_CODES.GenericError, `Task ${o.child.id} is canceled`);
        if (run.build) this.d.builds.fail(run.build);
        return;
      }
      store.close(o.child, o.plan!.result);
      results.push({ child: o.child, plan: o.plan! });
    }
    for (const c of children) store.update(c, { awaited: false });
    if (timing.finishMs > 0) await sleep(timing.finishMs, undefined, { signal });
    if (isFinished(parent.state)) return;

    const owner = this.d.users.byId(parent.owner)?.name ?? String(parent.owner);
    if (scratch) for (const r of results) await files.moveToScratch(r.child.id, owner, r.plan.moveNames);
    const top = this.d.builderTopDir;
    const build = run.build;
    if (build) {
      await this.completeBuild(parent, build, results);
      // The tagBuild subtask: kojid waits for it before reporting.
      const tag = store.create({
        method: 'tagBuild',
        arch: 'noarch',
        label: 'tag',
        owner: parent.owner,
        parent: parent.id,
        channel: 'default',
        channelId: parent.channelId,
        priority: parent.priority - 1,
        request: [this.destTagOf(parent), build.id, false, null, true],
      });
      store.update(parent, { waiting: true });
      store.update(tag, { awaited: true });
      await sleep(Math.max(1, timing.finishMs / 2), undefined, { signal });
      store.open(tag, hostId);
      await sleep(Math.max(1, timing.finishMs / 2), undefined, { signal });
      build.tags.add(this.destTagOf(parent));
      store.close(tag, null);
      store.update(tag, { awaited: false });
    }
    const report = build
      ? `image build results in: ${top}/${files.buildRelPath(build)}/images`
      : `Scratch image build results in: ${results.map((r) => `${top}/work/${taskRelPath(r.child.id)}`).join(', ')}`;
    store.update(parent, { waiting: false });
    store.close(parent, report);
  }

  /**
   * host.initImageBuild for the parent: name and version from the subtasks' arglist; without an
   * explicit release, getNextRelease's answer (written into the subtasks' arglists, as kojid
   * passes the build's release on).
   */
  private initBuild(parent: TaskRecord, requests: XmlRpcValue[][], releaseGiven: boolean): BuildRecord {
    const first = requests[0]!;
    const name = String(first[0]);
    const version = String(first[1]);
    const release = releaseGiven ? String(first[2]) : this.d.builds.nextRelease(name, version);
    for (const r of requests) r[2] = release;
    const owner = this.d.users.byId(parent.owner);
    return this.d.builds.init({ name, version, release, taskId: parent.id, ownerId: parent.owner, ownerName: owner?.name ?? String(parent.owner) });
  }

  /** host.completeImageBuild: the files into the build's folder, COMPLETE, a buildNotification. */
  private async completeBuild(parent: TaskRecord, build: BuildRecord, results: Array<{ child: TaskRecord; plan: ChildPlan }>): Promise<void> {
    const { store, files } = this.d;
    const logsByArch = !['image', 'livecd', 'appliance'].includes(parent.method);
    for (const r of results) {
      const names = r.plan.result.files;
      await files.moveToBuild(r.child.id, build, Array.isArray(names) ? names.map(String) : [], r.child.arch, logsByArch);
    }
    this.d.builds.complete(build);
    const host = this.d.users.all().find((u) => u.usertype === 1);
    const target = this.d.targets.all().find((t) => t.name === String(store.request(parent)[parent.method === 'kiwiBuild' ? 0 : 3]));
    const note = store.create({
      method: 'buildNotification',
      arch: 'noarch',
      owner: host?.id ?? parent.owner,
      channel: 'default',
      request: [[`${build.ownerName}@fedoraproject.org`], this.d.builds.info(build), target ? this.d.targets.info(target) : null, 'https://koji.fedoraproject.org/koji'],
    });
    // Some builder picks the notification up soon after; nothing waits for it.
    setTimeout(() => {
      if (note.state === TASK_STATES.FREE) store.open(note, this.d.hostId);
      setTimeout(() => {
        if (!isFinished(note.state)) store.close(note, null);
      }, 20).unref();
    }, 20).unref();
  }

  private destTagOf(parent: TaskRecord): number {
    const targetName = String(this.d.store.request(parent)[parent.method === 'kiwiBuild' ? 0 : 3]);
    return this.d.targets.get(targetName)?.destTagId ?? 0;
  }
}

async function sleepUntil(t: number, signal: AbortSignal): Promise<void> {
  const ms = t - Date.now();
  if (ms > 0) await sleep(ms, undefined, { signal });
  signal.throwIfAborted();
}

/** The opts struct of a parent's request (kiwiBuild: 5th param; image/livecd/…: 6th). */
export function parentOpts(method: ParentMethod, request: XmlRpcValue[]): Record<string, XmlRpcValue> {
  const v = method === 'kiwiBuild' ? request[4] : request[5];
  return isStruct(v) ? v : {};
}
