// `fedimg schedules sync|list|pause|unpause|trigger`: the config's nightly and weekly release
// schedules and its retention schedules as Temporal Schedules (scripts/schedules/), and an
// operator's hand on them.
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { DEFAULT_OWNER, MANUAL_PAUSE_PREFIX, SCHEDULE_ID_PREFIX, desiredSchedules, isRelease, ownerOf, scopeOf, type DesiredSchedule } from '../../schedules/desired';
import { diffSchedule, isConfigPause } from '../../schedules/diff';
import { listMarkedSchedules, syncSchedules, type SyncItem } from '../../schedules/sync';
import type { CommandContext } from '../context';
import { OperationalError, UsageError } from '../errors';
import { table, when } from '../output';
import { scheduleUiUrl, workflowUiUrl } from '../temporal';

function desired(ctx: CommandContext, owner: string): DesiredSchedule[] {
  const { schedules, problems } = desiredSchedules(ctx.config, owner);
  if (problems.length > 0) {
    throw new UsageError(`the configuration's schedules have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`, {
      fix: 'fix them in temporal.config.ts, the FEDIMG_CONFIG_FILE file or the FEDIMG__* variables',
    });
  }
  return schedules;
}

function describeLine(d: DesiredSchedule): string {
  const what = isRelease(d) ? `${d.family} ${d.release} ${d.kind}` : `${d.kind} of ${scopeOf(d)}${d.dryRun ? ' (dry run)' : ''}`;
  return `${what}, "${d.cron}" ${d.timezone}${d.paused ? ', paused by config' : ''}`;
}

// ---------------------------------------------------------------------------------------- sync

export async function syncCommand(ctx: CommandContext, opts: { owner?: string; dryRun?: boolean }): Promise<void> {
  const owner = opts.owner ?? DEFAULT_OWNER;
  const want = desired(ctx, owner);
  const t = await ctx.temporal();
  const report = await syncSchedules(t.client, want, { owner, dryRun: opts.dryRun ?? false });
  const byId = new Map(want.map((d) => [d.scheduleId, d]));
  const count = (op: SyncItem['op']) => report.items.filter((i) => i.op === op).length;
  ctx.emit({ namespace: t.namespace, ...report }, () => {
    const verb = (op: SyncItem['op']) => (report.dryRun && op !== 'unchanged' && op !== 'conflict' ? `would be ${op}` : op);
    if (!report.changed && report.conflicts === 0) {
      const kept = report.items.flatMap((i) => i.notes.map((n) => `  ${i.scheduleId}: ${n}`));
      return [`nothing to change: the ${report.items.length} schedule${report.items.length === 1 ? '' : 's'} in namespace ${t.namespace} match the configuration (owner ${owner})`, ...kept].join('\n');
    }
    const rows = report.items.map((i) => {
      const d = byId.get(i.scheduleId);
      const detail = [
        i.op === 'created' && d ? describeLine(d) : '',
        i.op === 'updated' ? `changed: ${i.changes.join(', ')}` : '',
        ...i.notes,
      ].filter(Boolean);
      return [verb(i.op), i.scheduleId, detail.join('; ')];
    });
    const summary = (['created', 'updated', 'deleted', 'unchanged', 'conflict'] as const)
      .map((op) => [op, count(op)] as const)
      .filter(([, n]) => n > 0)
      .map(([op, n]) => `${n} ${op === 'conflict' ? 'conflicts' : verb(op)}`)
      .join(', ');
    return `schedules in namespace ${t.namespace} (owner ${owner})${report.dryRun ? ', dry run: nothing was changed' : ''}:\n${table(['', 'SCHEDULE', 'DETAIL'], rows)}\n${summary}`;
  });
  if (report.conflicts > 0) {
    throw new OperationalError(`${report.conflicts} schedule${report.conflicts === 1 ? '' : 's'} could not be synced`, { fix: 'see the conflicts above' });
  }
}

// ---------------------------------------------------------------------------------------- list

export interface ScheduleRow {
  scheduleId: string;
  configId?: string;
  inConfig: boolean;
  exists: boolean;
  family?: string;
  release?: string;
  /** nightly, weekly, ec2-retention, glance-retention. */
  kind?: string;
  /** What it acts on: "<family> <release>", "regions …", "families …". */
  scope?: string;
  /** Retention schedules: whether their runs only plan. */
  dryRun?: boolean;
  cron?: string;
  timezone?: string;
  paused?: boolean;
  pausedBy?: 'config' | 'hand';
  note?: string;
  /** Fields that differ from the config (empty: in sync). */
  differences: string[];
  nextRuns: string[];
  lastRun?: { scheduledAt: string; workflowId: string };
  uiUrl: string;
}

async function describeOrUndefined(ctx: CommandContext, scheduleId: string): Promise<ScheduleDescription | undefined> {
  const { client } = await ctx.temporal();
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

function stateOf(d: ScheduleDescription): Pick<ScheduleRow, 'paused' | 'pausedBy' | 'note'> {
  return {
    paused: d.state.paused,
    ...(d.state.paused ? { pausedBy: isConfigPause(d.state) ? ('config' as const) : ('hand' as const) } : {}),
    ...(d.state.note ? { note: d.state.note } : {}),
  };
}

function runsOf(d: ScheduleDescription): Pick<ScheduleRow, 'nextRuns' | 'lastRun'> {
  const last = d.info.recentActions.at(-1);
  return {
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((x) => x.toISOString()),
    ...(last ? { lastRun: { scheduledAt: last.scheduledAt.toISOString(), workflowId: last.action.workflow.workflowId } } : {}),
  };
}

export async function scheduleRows(ctx: CommandContext, owner: string): Promise<ScheduleRow[]> {
  const want = desired(ctx, owner);
  const t = await ctx.temporal();
  const rows: ScheduleRow[] = [];
  for (const w of want) {
    const d = await describeOrUndefined(ctx, w.scheduleId);
    const diff = d ? diffSchedule(w, d) : undefined;
    rows.push({
      scheduleId: w.scheduleId,
      configId: w.configId,
      inConfig: true,
      exists: d !== undefined,
      ...(isRelease(w) ? { family: w.family, release: w.release } : { dryRun: w.dryRun }),
      kind: w.kind,
      scope: scopeOf(w),
      cron: w.cron,
      timezone: w.timezone,
      ...(d ? stateOf(d) : {}),
      differences: diff ? [...diff.changed, ...(diff.pause ? ['state.paused'] : [])] : ['missing'],
      ...(d ? runsOf(d) : { nextRuns: [] }),
      uiUrl: scheduleUiUrl(ctx.config, t.namespace, w.scheduleId),
    });
  }
  const known = new Set(want.map((w) => w.scheduleId));
  for (const s of await listMarkedSchedules(t.client)) {
    if (known.has(s.scheduleId) || ownerOf(s.memo) !== owner) continue;
    const d = await describeOrUndefined(ctx, s.scheduleId);
    if (!d) continue;
    rows.push({
      scheduleId: s.scheduleId,
      inConfig: false,
      exists: true,
      ...stateOf(d),
      differences: ['not in the configuration'],
      ...runsOf(d),
      uiUrl: scheduleUiUrl(ctx.config, t.namespace, s.scheduleId),
    });
  }
  return rows;
}

export async function listSchedulesCommand(ctx: CommandContext, opts: { owner?: string }): Promise<void> {
  const owner = opts.owner ?? DEFAULT_OWNER;
  const rows = await scheduleRows(ctx, owner);
  const t = await ctx.temporal();
  ctx.emit({ namespace: t.namespace, owner, schedules: rows }, () => {
    if (rows.length === 0) return 'the configuration has no schedules and none of ours exists';
    const body = table(
      ['SCHEDULE', 'KIND', 'SCOPE', 'CRON', 'STATE', 'NEXT RUN', 'LAST RUN', 'SYNC'],
      rows.map((r) => [
        r.scheduleId,
        r.kind ? `${r.kind}${r.dryRun ? ' (dry run)' : ''}` : '-',
        r.scope ?? '-',
        r.cron ? `${r.cron} ${r.timezone}` : '-',
        !r.exists ? '-' : r.paused ? `paused (${r.pausedBy === 'config' ? 'config' : `by hand: ${(r.note ?? '').replace(MANUAL_PAUSE_PREFIX, '')}`})` : 'active',
        r.exists && !r.paused && r.nextRuns[0] ? when(new Date(r.nextRuns[0])) : '-',
        r.lastRun ? when(new Date(r.lastRun.scheduledAt)) : '-',
        r.differences.length === 0 ? 'in sync' : r.differences.join(', '),
      ]),
    );
    const stale = rows.some((r) => r.differences.length > 0);
    return stale ? `${body}\nrun \`fedimg schedules sync\` to apply the configuration` : body;
  });
}

// ------------------------------------------------------------------- pause, unpause, trigger

async function resolve(ctx: CommandContext, arg: string, owner: string): Promise<{ scheduleId: string; desired?: DesiredSchedule; description: ScheduleDescription }> {
  const want = desired(ctx, owner);
  const match = want.find((w) => w.configId === arg || w.scheduleId === arg);
  const scheduleId = match?.scheduleId ?? (arg.startsWith(SCHEDULE_ID_PREFIX) ? arg : `${SCHEDULE_ID_PREFIX}${arg}`);
  const description = await describeOrUndefined(ctx, scheduleId);
  if (!description) {
    throw new UsageError(`no schedule "${scheduleId}" exists`, {
      field: 'id',
      fix: match ? 'it is in the configuration: create it with `fedimg schedules sync`' : 'see the ids with `fedimg schedules list`',
    });
  }
  if (ownerOf(description.memo) === undefined) {
    throw new UsageError(`schedule "${scheduleId}" was not created by fedimg`, { field: 'id', fix: 'manage it where it was made (Temporal UI or CLI)' });
  }
  return { scheduleId, ...(match ? { desired: match } : {}), description };
}

export async function pauseCommand(ctx: CommandContext, id: string, opts: { reason?: string; owner?: string }): Promise<void> {
  const { scheduleId, description } = await resolve(ctx, id, opts.owner ?? DEFAULT_OWNER);
  const t = await ctx.temporal();
  if (description.state.paused) {
    ctx.emit({ scheduleId, paused: true, changed: false, note: description.state.note }, () => `${scheduleId} is already paused (${description.state.note ?? 'no note'})`);
    return;
  }
  const note = `${MANUAL_PAUSE_PREFIX}${opts.reason ?? 'no reason given'} (${ctx.deps.user}, ${ctx.deps.now().toISOString()})`;
  await t.client.schedule.getHandle(scheduleId).pause(note);
  ctx.emit({ scheduleId, paused: true, changed: true, note }, () => `paused ${scheduleId}: ${note}\n  sync keeps this pause until \`fedimg schedules unpause ${id}\``);
}

export async function unpauseCommand(ctx: CommandContext, id: string, opts: { force?: boolean; owner?: string }): Promise<void> {
  const { scheduleId, desired: want, description } = await resolve(ctx, id, opts.owner ?? DEFAULT_OWNER);
  const t = await ctx.temporal();
  if (!description.state.paused) {
    ctx.emit({ scheduleId, paused: false, changed: false }, () => `${scheduleId} is not paused`);
    return;
  }
  if (want?.paused && !opts.force) {
    throw new UsageError(`${scheduleId} is paused by the configuration`, {
      field: 'id',
      fix: `set paused: false at ${want.configPath}.paused and run \`fedimg schedules sync\`, or pass --force to unpause until the next sync`,
    });
  }
  await t.client.schedule.getHandle(scheduleId).unpause(`unpaused by hand (${ctx.deps.user}, ${ctx.deps.now().toISOString()})`);
  const warn = want?.paused ? ' (the configuration still pauses it: the next sync pauses it again)' : '';
  ctx.emit({ scheduleId, paused: false, changed: true, ...(warn ? { warning: warn.trim() } : {}) }, () => `unpaused ${scheduleId}${warn}`);
}

export async function triggerCommand(ctx: CommandContext, id: string, opts: { allowOverlap?: boolean; owner?: string }): Promise<void> {
  const { scheduleId, desired, description } = await resolve(ctx, id, opts.owner ?? DEFAULT_OWNER);
  const t = await ctx.temporal();
  const handle = t.client.schedule.getHandle(scheduleId);
  const seen = new Set(description.info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(opts.allowOverlap ? 'ALLOW_ALL' : undefined);
  // The trigger is asynchronous: look for the run it started for a few seconds.
  let started: string | undefined;
  for (let i = 0; i < 20 && !started; i++) {
    await ctx.deps.sleep(250);
    const d = await handle.describe();
    started = d.info.recentActions.map((a) => a.action.workflow.workflowId).find((w) => !seen.has(w));
  }
  if (started) {
    const uiUrl = workflowUiUrl(ctx.config, t.namespace, started);
    ctx.emit({ scheduleId, triggered: true, workflowId: started, uiUrl }, () =>
      [
        `triggered ${scheduleId}: started ${started}`,
        desired === undefined || isRelease(desired)
          ? `  it starts the slot's image release (the same one for every trigger of the same day)`
          : `  a ${desired.kind} run${desired.dryRun ? ' (dry run: its result lists what would go)' : ''}`,
        `  UI: ${uiUrl}`,
      ].join('\n'),
    );
  } else {
    ctx.emit({ scheduleId, triggered: true }, () =>
      `triggered ${scheduleId}, but no new run appeared within 5 s: a run of it may still be going (overlap policy SKIP; --allow-overlap starts one anyway)`,
    );
  }
}
