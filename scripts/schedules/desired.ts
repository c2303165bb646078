// What the config says the Temporal Schedules should be, as plain data in the shape `describe`
// returns, so sync can compare the two field by field. Three kinds:
//   release           one per families[].schedules[] entry: starts scheduledReleaseWorkflow;
//   ec2-retention     one per retention.ec2.schedules[] entry (a region set): ec2RetentionWorkflow;
//   glance-retention  one per retention.glance.schedules[] entry: glanceRetentionWorkflow.
// Every schedule this project creates is marked: its id starts with `fedimg-` and its memo names
// the owner, so sync deletes only schedules it made (never someone else's, never another
// deployment's sharing the namespace under another owner).
import type { CalendarSpecDescription, ScheduleOverlapPolicy } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../config';
import { checkReleaseRequest, releaseInput } from '../../config/release-input';
import { scheduledBuildName } from '../../domain/build-names';
import { FedoraRelease, ImageFamily, ImageKind } from '../../domain/search-attributes';
import type { Ec2RetentionInput } from '../../workflows/ec2/retention';
import type { GlanceRetentionInput } from '../../workflows/glance-retention';
import type { ScheduledReleaseInput } from '../../workflows/scheduled-release';
import { CronError, cronToCalendars, isTimeZone } from './cron';

export const SCHEDULE_ID_PREFIX = 'fedimg-';
export const DEFAULT_OWNER = 'fedimg';
/** Schedule memo key holding { owner, configId }: the mark of a schedule this project manages. */
export const OWNER_MEMO_KEY = 'fedimg';
/** Slots missed while the server was down are still run if the outage was shorter than this. */
export const CATCHUP_WINDOW_MS = 24 * 3_600_000;
/** A second start of a slot while the first still runs is skipped (the slot's name dedups anyway). */
export const OVERLAP: ScheduleOverlapPolicy = 'SKIP';
/** Notes tell config pauses (sync undoes them when the config says so) from an operator's. */
// (The text names the release schedules only, but it marks retention schedules too: changing it
// would make every schedule the config paused so far look paused by hand.)
export const CONFIG_PAUSE_NOTE = 'paused by the configuration (families[].schedules[].paused: true)';
export const MANUAL_PAUSE_PREFIX = 'paused by hand: ';

export type ScheduleKind = 'nightly' | 'weekly' | 'ec2-retention' | 'glance-retention';

interface StartAction<W extends string, A> {
  type: 'startWorkflow';
  workflowType: W;
  /** Temporal appends the slot's time to it: sched/<schedule id>-2026-11-22T04:00:00Z. */
  workflowId: string;
  taskQueue: string;
  args: [A];
  typedSearchAttributes: SearchAttributePair[];
}

interface DesiredScheduleBase {
  scheduleId: string;
  /** The entry's id in the config, and where it is (for messages). */
  configId: string;
  configPath: string;
  cron: string;
  timezone: string;
  paused: boolean;
  spec: { calendars: CalendarSpecDescription[]; timezone: string };
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  memo: { [OWNER_MEMO_KEY]: { owner: string; configId: string } };
}

export interface ReleaseSchedule extends DesiredScheduleBase {
  kind: 'nightly' | 'weekly';
  family: string;
  release: string;
  action: StartAction<'scheduledReleaseWorkflow', ScheduledReleaseInput>;
}

export interface Ec2RetentionSchedule extends DesiredScheduleBase {
  kind: 'ec2-retention';
  regions: string[];
  dryRun: boolean;
  action: StartAction<'ec2RetentionWorkflow', Ec2RetentionInput>;
}

export interface GlanceRetentionSchedule extends DesiredScheduleBase {
  kind: 'glance-retention';
  families: string[];
  dryRun: boolean;
  action: StartAction<'glanceRetentionWorkflow', GlanceRetentionInput>;
}

export type DesiredSchedule = ReleaseSchedule | Ec2RetentionSchedule | GlanceRetentionSchedule;

export const isRelease = (d: DesiredSchedule): d is ReleaseSchedule => d.kind === 'nightly' || d.kind === 'weekly';

/** What a schedule acts on, in a few words: "Cloud-Base-Generic rawhide", "regions us-east-1, eu-west-1". */
export function scopeOf(d: DesiredSchedule): string {
  if (isRelease(d)) return `${d.family} ${d.release}`;
  if (d.kind === 'ec2-retention') return `regions ${d.regions.join(', ')}`;
  return `families ${d.families.join(', ')}`;
}

export interface ScheduleConfigProblem {
  path: string;
  message: string;
}

export function scheduleIdFor(configId: string): string {
  return `${SCHEDULE_ID_PREFIX}${configId}`;
}

/** Cron and time zone as Temporal calendars, or a problem naming the config path. */
function specOf(path: string, s: { cron: string; timezone: string }, problems: ScheduleConfigProblem[]): DesiredScheduleBase['spec'] | undefined {
  let calendars: CalendarSpecDescription[];
  try {
    calendars = cronToCalendars(s.cron);
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    problems.push({ path: `${path}.cron`, message: `"${s.cron}": ${err.message}; write five fields such as "0 4 * * *"` });
    return undefined;
  }
  if (!isTimeZone(s.timezone)) {
    problems.push({ path: `${path}.timezone`, message: `"${s.timezone}" is not an IANA time zone; use one such as "UTC" or "Europe/Prague"` });
    return undefined;
  }
  return { calendars, timezone: s.timezone };
}

function base(path: string, s: { id: string; cron: string; timezone: string; paused: boolean }, spec: DesiredScheduleBase['spec'], owner: string): DesiredScheduleBase {
  return {
    scheduleId: scheduleIdFor(s.id),
    configId: s.id,
    configPath: path,
    cron: s.cron,
    timezone: s.timezone,
    paused: s.paused,
    spec,
    policies: { overlap: OVERLAP, catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
    memo: { [OWNER_MEMO_KEY]: { owner, configId: s.id } },
  };
}

/** The config's schedules as Temporal would describe them, and every problem found on the way. */
export function desiredSchedules(config: Config, owner: string = DEFAULT_OWNER): { schedules: DesiredSchedule[]; problems: ScheduleConfigProblem[] } {
  const schedules: DesiredSchedule[] = [];
  const problems: ScheduleConfigProblem[] = [];
  const taskQueue = config.temporal.taskQueues.orchestration;
  config.families.forEach((family, i) =>
    family.schedules.forEach((s, j) => {
      const path = `families[${i}].schedules[${j}]`;
      const spec = specOf(path, s, problems);
      if (!spec) return;
      // The request rules every release goes through (config/release-input.ts), so a schedule
      // that would start a release the workflow refuses is reported here, not at 4 a.m.
      const checked = checkReleaseRequest(config, { family: family.name, release: s.release, kind: s.kind }, new Date(0));
      if (!checked.ok) {
        checked.problems.forEach((p) =>
          problems.push({ path: p.field.endsWith(' (config)') ? p.field.slice(0, -' (config)'.length) : `${path}.${p.field}`, message: `${p.message}; ${p.fix}` }),
        );
        return;
      }
      if (checked.release.input.release !== s.release) {
        // The template carries the config's text; the workflow refuses "044" for "44".
        problems.push({ path: `${path}.release`, message: `"${s.release}" is not written the canonical way; write "${checked.release.input.release}"` });
        return;
      }
      const scheduleId = scheduleIdFor(s.id);
      // The name is the schedule run's business; the template is everything else of a release.
      const { name: _name, kind: _kind, ...template } = releaseInput(config, {
        family: family.name,
        release: s.release,
        kind: s.kind,
        name: scheduledBuildName(s.kind, s.release, new Date(0)),
      });
      schedules.push({
        ...base(path, s, spec, owner),
        kind: s.kind,
        family: family.name,
        release: s.release,
        action: {
          type: 'startWorkflow',
          workflowType: 'scheduledReleaseWorkflow',
          workflowId: `sched/${scheduleId}`,
          taskQueue,
          // The zone goes along so the run names the build after the slot's date there.
          args: [{ template, kind: s.kind, timezone: s.timezone }],
          typedSearchAttributes: [
            { key: FedoraRelease, value: s.release },
            { key: ImageFamily, value: family.name },
            { key: ImageKind, value: s.kind },
          ],
        },
      });
    }),
  );
  schedules.push(...retentionSchedules(config, owner, problems));
  return { schedules, problems };
}

function retentionSchedules(config: Config, owner: string, problems: ScheduleConfigProblem[]): DesiredSchedule[] {
  const out: DesiredSchedule[] = [];
  const r = config.retention;
  const taskQueue = config.temporal.taskQueues.orchestration;
  r.ec2.schedules.forEach((s, j) => {
    const path = `retention.ec2.schedules[${j}]`;
    const spec = specOf(path, s, problems);
    if (!spec) return;
    const regions = s.regions ?? config.aws.regions;
    const dryRun = s.dryRun ?? r.dryRun;
    const input: Ec2RetentionInput = {
      olderThanDays: r.ec2.olderThanDays ?? config.aws.nightlyDeprecateAfterDays,
      stageGapDays: r.ec2.stageGapDays,
      dryRun,
      regions,
      maxConcurrentRegions: config.aws.maxConcurrentRegions,
      // An AMI names its family in a tag; the message also wants the family's subvariant.
      announce: { subvariants: Object.fromEntries(config.families.map((f) => [f.name, f.subvariant])), rawhideRelease: config.bus.rawhideRelease },
    };
    out.push({
      ...base(path, s, spec, owner),
      kind: 'ec2-retention',
      regions,
      dryRun,
      action: { type: 'startWorkflow', workflowType: 'ec2RetentionWorkflow', workflowId: `sched/${scheduleIdFor(s.id)}`, taskQueue, args: [input], typedSearchAttributes: [] },
    });
  });
  r.glance.schedules.forEach((s, j) => {
    const path = `retention.glance.schedules[${j}]`;
    const spec = specOf(path, s, problems);
    if (!spec) return;
    const names = s.families ?? config.families.filter((f) => f.destinations.includes('glance')).map((f) => f.name);
    const families = names.flatMap((n) => {
      const f = config.families.find((x) => x.name === n);
      return f ? [{ name: f.name, subvariant: f.subvariant }] : [];
    });
    const dryRun = s.dryRun ?? r.dryRun;
    const input: GlanceRetentionInput = {
      families,
      olderThanDays: r.glance.olderThanDays,
      keepLatest: r.glance.keepLatest,
      dryRun,
      announce: { region: config.openstack.region, rawhideRelease: config.bus.rawhideRelease },
    };
    out.push({
      ...base(path, s, spec, owner),
      kind: 'glance-retention',
      families: families.map((f) => f.name),
      dryRun,
      action: { type: 'startWorkflow', workflowType: 'glanceRetentionWorkflow', workflowId: `sched/${scheduleIdFor(s.id)}`, taskQueue, args: [input], typedSearchAttributes: [] },
    });
  });
  return out;
}

/** The owner named in a schedule's memo, if it is one of ours. */
export function ownerOf(memo: Record<string, unknown> | undefined): string | undefined {
  const mark = memo?.[OWNER_MEMO_KEY];
  if (mark && typeof mark === 'object' && typeof (mark as { owner?: unknown }).owner === 'string') return (mark as { owner: string }).owner;
  return undefined;
}
