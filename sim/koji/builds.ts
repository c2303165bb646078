// Build records of non-scratch image builds, as the hub keeps them: host.initImageBuild makes a
// BUILDING build owned by the task's owner (refusing an NVR that exists unless it FAILED or was
// CANCELED, which is then recycled), host.completeImageBuild sets it COMPLETE, tagBuild tags it
// into the target's destination tag. getBuild / listBuilds answer with get_build()'s fields.
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { nowUs, timePair } from './clock';
import { genericError } from './koji-errors';

/** koji.BUILD_STATES */
export const BUILD_STATES = { BUILDING: 0, COMPLETE: 1, DELETED: 2, FAILED: 3, CANCELED: 4 } as const;
export type BuildState = (typeof BUILD_STATES)[keyof typeof BUILD_STATES];
export const BUILD_STATE_NAMES = ['BUILDING', 'COMPLETE', 'DELETED', 'FAILED', 'CANCELED'] as const;

export interface BuildRecord {
  id: number;
  packageId: number;
  name: string;
  version: string;
  release: string;
  state: BuildState;
  taskId: number;
  ownerId: number;
  ownerName: string;
  /** Also the create event's time (one event per build here). */
  startUs: number;
  completionUs: number | null;
  eventId: number;
  /** Tag ids the build is tagged into. */
  tags: Set<number>;
}

export interface NewBuild {
  name: string;
  version: string;
  release: string;
  taskId: number;
  ownerId: number;
  ownerName: string;
}

export class BuildStore {
  private readonly builds: BuildRecord[] = [];
  private readonly packages = new Map<string, number>();
  private nextEvent = 1000;

  all(): readonly BuildRecord[] {
    return this.builds;
  }

  byId(id: number): BuildRecord | undefined {
    return this.builds.find((b) => b.id === id);
  }

  byNvr(name: string, version: string, release: string): BuildRecord | undefined {
    return this.builds.find((b) => b.name === name && b.version === version && b.release === release);
  }

  packageId(name: string): number | undefined {
    return this.packages.get(name);
  }

  packageNames(): string[] {
    return [...this.packages.keys()];
  }

  /** get_next_release: "1" for a new name-version, else the highest numeric release + 1. */
  nextRelease(name: string, version: string): string {
    const releases = this.builds.filter((b) => b.name === name && b.version === version).map((b) => b.release);
    if (releases.length === 0) return '1';
    const numeric = releases.filter((r) => /^\d+$/.test(r)).map(Number);
    if (numeric.length === 0) throw genericError(`Unable to increment release value: ${releases[releases.length - 1]}`);
    return String(Math.max(...numeric) + 1);
  }

  /** host.initImageBuild -> new_build: a BUILDING build, or the hub's refusal of an NVR in use. */
  init(b: NewBuild): BuildRecord {
    const old = this.byNvr(b.name, b.version, b.release);
    if (old) {
      const st = BUILD_STATE_NAMES[old.state];
      if (old.state === BUILD_STATES.BUILDING) {
        if (old.taskId === b.taskId) return old;
        throw genericError(`Build already in progress (task ${old.taskId})`);
      }
      if (old.state !== BUILD_STATES.FAILED && old.state !== BUILD_STATES.CANCELED) {
        throw genericError(
          `Build already exists (id=${old.id}, state=${st}): {'name': '${b.name}', 'version': '${b.version}', 'release': '${b.release}', 'epoch': 0, 'task_id': ${b.taskId}, 'owner': ${b.ownerId}, 'state': 0, 'completion_time': None}`,
        );
      }
      // recycle_build: the failed build's row is reused for the new attempt.
      Object.assign(old, { state: BUILD_STATES.BUILDING, taskId: b.taskId, ownerId: b.ownerId, ownerName: b.ownerName, startUs: nowUs(), completionUs: null });
      return old;
    }
    let pkg = this.packages.get(b.name);
    if (pkg === undefined) {
      pkg = this.packages.size + 1;
      this.packages.set(b.name, pkg);
    }
    const rec: BuildRecord = {
      id: this.builds.length + 1,
      packageId: pkg,
      ...b,
      state: BUILD_STATES.BUILDING,
      startUs: nowUs(),
      completionUs: null,
      eventId: this.nextEvent++,
      tags: new Set(),
    };
    this.builds.push(rec);
    return rec;
  }

  complete(b: BuildRecord): void {
    b.state = BUILD_STATES.COMPLETE;
    b.completionUs = nowUs();
  }

  fail(b: BuildRecord, state: typeof BUILD_STATES.FAILED | typeof BUILD_STATES.CANCELED = BUILD_STATES.FAILED): void {
    b.state = state;
    b.completionUs = nowUs();
  }

  /** find_build_id: an id, an NVR string, or {name, version, release}. */
  find(info: XmlRpcValue, strict: boolean): BuildRecord | undefined {
    let found: BuildRecord | undefined;
    if (typeof info === 'number') found = this.byId(info);
    else if (typeof info === 'string') {
      const nvr = parseNvr(info);
      found = this.byNvr(nvr.name, nvr.version, nvr.release);
    } else if (info !== null && typeof info === 'object' && !Array.isArray(info) && !Buffer.isBuffer(info)) {
      const d = info as Record<string, XmlRpcValue>;
      if (!('name' in d && 'version' in d && 'release' in d)) throw genericError('did not provide name, version, and release');
      found = this.byNvr(String(d.name), String(d.version), String(d.release));
    } else throw genericError(`Invalid type for argument: ${typeof info}`);
    if (!found && strict) throw genericError(`No such build: ${typeof info === 'string' ? `'${info}'` : JSON.stringify(info)}`);
    return found;
  }

  /** get_build()'s struct, in its field order. */
  info(b: BuildRecord): Record<string, XmlRpcValue> {
    const [creationTime, creationTs] = timePair(b.startUs);
    const [completionTime, completionTs] = timePair(b.completionUs);
    return {
      id: b.id,
      version: b.version,
      release: b.release,
      build_id: b.id,
      epoch: null,
      draft: false,
      state: b.state,
      completion_time: completionTime,
      promotion_time: null,
      start_time: creationTime,
      task_id: b.taskId,
      creation_event_id: b.eventId,
      creation_time: creationTime,
      package_id: b.packageId,
      package_name: b.name,
      name: b.name,
      volume_id: 0,
      volume_name: 'DEFAULT',
      nvr: `${b.name}-${b.version}-${b.release}`,
      creation_ts: creationTs,
      start_ts: creationTs,
      completion_ts: completionTs,
      promotion_ts: null,
      owner_id: b.ownerId,
      owner_name: b.ownerName,
      promoter_id: null,
      promoter_name: null,
      cg_id: null,
      source: null,
      extra: null,
      cg_name: null,
    };
  }
}

/** koji.parse_NVR: the last two dashes split name, version and release. */
export function parseNvr(nvr: string): { name: string; version: string; release: string } {
  const r = nvr.lastIndexOf('-');
  const v = r > 0 ? nvr.lastIndexOf('-', r - 1) : -1;
  if (r < 0 || v < 0) throw genericError(`invalid format: ${nvr}`);
  return { name: nvr.slice(0, v), version: nvr.slice(v + 1, r), release: nvr.slice(r + 1) };
}
