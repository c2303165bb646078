// `fedimg schedules sync`: make the namespace's Temporal Schedules match the config, idempotently.
//   create  the config's schedules that are missing;
//   update  those whose spec, action, policies or config pause differ (a manual pause is kept);
//   delete  schedules marked with our owner that the config no longer has.
// Each configured schedule is read with `describe` (strongly consistent), so a sync right after
// another sees its work; only deletions come from the (eventually consistent) schedule list, and
// one listed but already gone is simply skipped.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { CONFIG_PAUSE_NOTE, DEFAULT_OWNER, SCHEDULE_ID_PREFIX, ownerOf, type DesiredSchedule } from './desired';
import { planDeletions, planSchedule, type PlanItem } from './diff';

export interface SyncOptions {
  owner?: string;
  /** Plan only: report what would change and change nothing. */
  dryRun?: boolean;
}

export interface SyncItem {
  scheduleId: string;
  op: 'created' | 'updated' | 'deleted' | 'unchanged' | 'conflict';
  configId?: string;
  changes: string[];
  notes: string[];
}

export interface SyncReport {
  owner: string;
  dryRun: boolean;
  items: SyncItem[];
  /** False when the namespace already matched the config. */
  changed: boolean;
  conflicts: number;
}

const DONE: Record<Exclude<PlanItem['op'], 'conflict' | 'unchanged'>, SyncItem['op']> = { create: 'created', update: 'updated', delete: 'deleted' };

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Every schedule in the namespace carrying an owner mark (any owner): the candidates for deletion. */
export async function listMarkedSchedules(client: Client): Promise<Array<{ scheduleId: string; memo?: Record<string, unknown> }>> {
  const out: Array<{ scheduleId: string; memo?: Record<string, unknown> }> = [];
  for await (const s of client.schedule.list()) {
    if (ownerOf(s.memo) !== undefined) out.push({ scheduleId: s.scheduleId, ...(s.memo ? { memo: s.memo } : {}) });
  }
  return out;
}

async function create(client: Client, want: DesiredSchedule): Promise<void> {
  await client.schedule.create({
    scheduleId: want.scheduleId,
    spec: want.spec,
    action: want.action,
    policies: want.policies,
    memo: want.memo,
    state: want.paused ? { paused: true, note: CONFIG_PAUSE_NOTE } : { paused: false },
  });
}

async function apply(client: Client, item: PlanItem): Promise<void> {
  const handle = client.schedule.getHandle(item.scheduleId);
  const want = item.desired;
  if (item.op === 'delete') {
    try {
      await handle.delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  if (!want) return;
  if (item.op === 'create') {
    await create(client, want);
    return;
  }
  if (item.changes.some((c) => c !== 'state.paused')) {
    await handle.update((prev) => ({
      spec: want.spec,
      action: want.action,
      policies: want.policies,
      // The pause is changed below, on its own, so an update never clobbers an operator's note.
      state: { paused: prev.state.paused, ...(prev.state.note ? { note: prev.state.note } : {}), ...(prev.state.remainingActions !== undefined ? { remainingActions: prev.state.remainingActions } : {}) },
    }));
  }
  if (item.pause === 'pause') await handle.pause(CONFIG_PAUSE_NOTE);
  if (item.pause === 'unpause') await handle.unpause('unpaused by the configuration (paused: false)');
}

export async function syncSchedules(client: Client, desired: DesiredSchedule[], opts: SyncOptions = {}): Promise<SyncReport> {
  const owner = opts.owner ?? DEFAULT_OWNER;
  const dryRun = opts.dryRun ?? false;
  const plan: PlanItem[] = [];
  for (const want of desired) plan.push(planSchedule(want, await describeOrUndefined(client, want.scheduleId), owner));
  plan.push(...planDeletions(new Set(desired.map((d) => d.scheduleId)), await listMarkedSchedules(client), owner, SCHEDULE_ID_PREFIX));

  const items: SyncItem[] = [];
  for (const p of plan) {
    let step = p;
    if (!dryRun && (step.op === 'create' || step.op === 'update' || step.op === 'delete')) {
      try {
        await apply(client, step);
      } catch (err) {
        // Another sync created it between our describe and create: plan again from what is there.
        if (!(err instanceof ScheduleAlreadyRunning) || !step.desired) throw err;
        step = planSchedule(step.desired, await describeOrUndefined(client, step.scheduleId), owner);
        if (step.op === 'update') await apply(client, step);
      }
    }
    items.push({
      scheduleId: step.scheduleId,
      op: step.op === 'conflict' || step.op === 'unchanged' ? step.op : DONE[step.op],
      ...(step.desired ? { configId: step.desired.configId } : {}),
      changes: step.changes,
      notes: step.notes,
    });
  }
  return {
    owner,
    dryRun,
    items,
    changed: items.some((i) => i.op === 'created' || i.op === 'updated' || i.op === 'deleted'),
    conflicts: items.filter((i) => i.op === 'conflict').length,
  };
}
