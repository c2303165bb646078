// Compares a schedule as the config wants it with the schedule as Temporal describes it, field by
// field, and decides what sync does about its paused state. Pure: the unit tests feed it plain
// objects shaped like ScheduleDescription.
import type { CalendarSpecDescription } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { CONFIG_PAUSE_NOTE, ownerOf, type DesiredSchedule } from './desired';

/** The parts of a ScheduleDescription the diff reads. */
export interface ActualSchedule {
  spec: {
    calendars?: CalendarSpecDescription[];
    intervals?: readonly unknown[];
    skip?: readonly unknown[];
    cronExpressions?: string[];
    timezone?: string;
    startAt?: Date;
    endAt?: Date;
    jitter?: number;
  };
  action: {
    type: string;
    workflowType: string;
    workflowId?: string;
    taskQueue?: string;
    args?: readonly unknown[];
    memo?: Record<string, unknown>;
    typedSearchAttributes?: { getAll(): SearchAttributePair[] } | SearchAttributePair[];
    workflowExecutionTimeout?: unknown;
    workflowRunTimeout?: unknown;
    retry?: unknown;
  };
  policies: { overlap?: string; catchupWindow: number; pauseOnFailure: boolean };
  state: { paused: boolean; note?: string };
  memo?: Record<string, unknown>;
}

export type PauseAction = 'pause' | 'unpause';

export interface ScheduleDiff {
  /** Fields whose value differs: "spec.calendars", "action.args", "policies.overlap", … */
  changed: string[];
  /** What sync does to the paused state, if anything. */
  pause?: PauseAction;
  /** Set when an operator's pause is left alone although the config does not pause. */
  keptManualPause?: string;
}

/** JSON with sorted keys and no undefined members: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Date) return v.toISOString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function searchAttributeMap(sa: ActualSchedule['action']['typedSearchAttributes']): Record<string, unknown> {
  const pairs = sa === undefined ? [] : Array.isArray(sa) ? sa : sa.getAll();
  return Object.fromEntries(pairs.map((p) => [p.key.name, p.value instanceof Date ? p.value.toISOString() : p.value]));
}

/** A paused schedule whose note is not the config's was paused by a person (CLI, UI) or the server. */
export function isConfigPause(state: { paused: boolean; note?: string }): boolean {
  return state.paused && state.note === CONFIG_PAUSE_NOTE;
}

export function diffSchedule(want: DesiredSchedule, have: ActualSchedule): ScheduleDiff {
  const changed: string[] = [];
  const spec = have.spec;
  if (!same(want.spec.calendars, spec.calendars ?? [])) changed.push('spec.calendars');
  if (want.spec.timezone !== (spec.timezone ?? 'UTC')) changed.push('spec.timezone');
  if ((spec.intervals?.length ?? 0) > 0) changed.push('spec.intervals');
  if ((spec.skip?.length ?? 0) > 0) changed.push('spec.skip');
  if ((spec.cronExpressions?.length ?? 0) > 0) changed.push('spec.cronExpressions');
  if (spec.startAt !== undefined || spec.endAt !== undefined) changed.push('spec.startAt/endAt');
  if (spec.jitter !== undefined && spec.jitter !== 0) changed.push('spec.jitter');

  const action = have.action;
  if (action.type !== want.action.type) changed.push('action.type');
  if (action.workflowType !== want.action.workflowType) changed.push('action.workflowType');
  if (action.workflowId !== want.action.workflowId) changed.push('action.workflowId');
  if (action.taskQueue !== want.action.taskQueue) changed.push('action.taskQueue');
  if (!same(want.action.args, action.args ?? [])) changed.push('action.args');
  if (!same(searchAttributeMap(want.action.typedSearchAttributes), searchAttributeMap(action.typedSearchAttributes))) {
    changed.push('action.searchAttributes');
  }
  if (Object.keys(action.memo ?? {}).length > 0) changed.push('action.memo');
  if (action.workflowExecutionTimeout !== undefined || action.workflowRunTimeout !== undefined) changed.push('action.timeouts');
  if (action.retry !== undefined) changed.push('action.retry');

  if (have.policies.overlap !== want.policies.overlap) changed.push('policies.overlap');
  if (have.policies.catchupWindow !== want.policies.catchupWindow) changed.push('policies.catchupWindow');
  if (have.policies.pauseOnFailure !== want.policies.pauseOnFailure) changed.push('policies.pauseOnFailure');

  const diff: ScheduleDiff = { changed };
  if (want.paused && !have.state.paused) diff.pause = 'pause';
  else if (!want.paused && isConfigPause(have.state)) diff.pause = 'unpause';
  else if (!want.paused && have.state.paused) diff.keptManualPause = have.state.note ?? '(no note)';
  return diff;
}

export type PlanOp = 'create' | 'update' | 'delete' | 'unchanged' | 'conflict';

export interface PlanItem {
  scheduleId: string;
  op: PlanOp;
  /** For update: the differing fields and "state.paused" when the pause changes. */
  changes: string[];
  pause?: PauseAction;
  /** Human notes: kept manual pause, why a conflict, why a deletion. */
  notes: string[];
  desired?: DesiredSchedule;
}

/** What sync does for one configured schedule, given what Temporal has under its id (if anything). */
export function planSchedule(want: DesiredSchedule, have: ActualSchedule | undefined, owner: string): PlanItem {
  if (!have) return { scheduleId: want.scheduleId, op: 'create', changes: [], notes: [], desired: want, ...(want.paused ? { pause: 'pause' as const } : {}) };
  const haveOwner = ownerOf(have.memo);
  if (haveOwner !== owner) {
    return {
      scheduleId: want.scheduleId,
      op: 'conflict',
      changes: [],
      notes: [
        haveOwner === undefined
          ? `a schedule with this id exists that fedimg did not create; rename ${want.configPath}.id ("${want.configId}") or delete that schedule`
          : `this schedule belongs to owner "${haveOwner}", not "${owner}"; rename ${want.configPath}.id or sync with --owner ${haveOwner}`,
      ],
      desired: want,
    };
  }
  const diff = diffSchedule(want, have);
  const changes = [...diff.changed, ...(diff.pause ? ['state.paused'] : [])];
  const notes = diff.keptManualPause !== undefined ? [`kept a manual pause: ${diff.keptManualPause}`] : [];
  return {
    scheduleId: want.scheduleId,
    op: changes.length > 0 ? 'update' : 'unchanged',
    changes,
    notes,
    desired: want,
    ...(diff.pause ? { pause: diff.pause } : {}),
  };
}

/** Schedules marked with our owner whose id the config no longer has. */
export function planDeletions(desiredIds: ReadonlySet<string>, owned: Array<{ scheduleId: string; memo?: Record<string, unknown> }>, owner: string, prefix: string): PlanItem[] {
  return owned
    .filter((s) => s.scheduleId.startsWith(prefix) && ownerOf(s.memo) === owner && !desiredIds.has(s.scheduleId))
    .map((s) => ({ scheduleId: s.scheduleId, op: 'delete' as const, changes: [], notes: ['no longer in the configuration'] }));
}
