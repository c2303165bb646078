// What the config says the Temporal Schedules should be: one per families[].schedules[] entry,
// as plain data in the shape `describe` returns, so sync can compare the two field by field.
// Every schedule this project creates is marked: its id starts with `fedimg-` and its memo names
// the owner, so sync deletes only schedules it made (never someone else's, never another
// deployment's sharing the namespace under another owner).
import type { CalendarSpecDescription, ScheduleOverlapPolicy } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../config';
import { releaseInput } from '../../config/release-input';
import { scheduledBuildName } from '../../domain/build-names';
import { FedoraRelease, ImageFamily, ImageKind } from '../../domain/search-attributes';
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
export const CONFIG_PAUSE_NOTE = 'paused by the configuration (families[].schedules[].paused: true)';
export const MANUAL_PAUSE_PREFIX = 'paused by hand: ';

export interface DesiredSchedule {
  scheduleId: string;
  /** The entry's id in the config, and where it is (for messages). */
  configId: string;
  configPath: string;
  family: string;
  release: string;
  kind: 'nightly' | 'weekly';
  cron: string;
  timezone: string;
  paused: boolean;
  spec: { calendars: CalendarSpecDescription[]; timezone: string };
  action: {
    type: 'startWorkflow';
    workflowType: 'scheduledReleaseWorkflow';
    /** Temporal appends the slot's time to it: sched/<schedule id>-2026-11-22T04:00:00Z. */
    workflowId: string;
    taskQueue: string;
    args: [ScheduledReleaseInput];
    typedSearchAttributes: SearchAttributePair[];
  };
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  memo: { [OWNER_MEMO_KEY]: { owner: string; configId: string } };
}

export interface ScheduleConfigProblem {
  path: string;
  message: string;
}

export function scheduleIdFor(configId: string): string {
  return `${SCHEDULE_ID_PREFIX}${configId}`;
}

/** The config's schedules as Temporal would describe them, and every problem found on the way. */
export function desiredSchedules(config: Config, owner: string = DEFAULT_OWNER): { schedules: DesiredSchedule[]; problems: ScheduleConfigProblem[] } {
  const schedules: DesiredSchedule[] = [];
  const problems: ScheduleConfigProblem[] = [];
  config.families.forEach((family, i) =>
    family.schedules.forEach((s, j) => {
      const path = `families[${i}].schedules[${j}]`;
      let calendars: CalendarSpecDescription[];
      try {
        calendars = cronToCalendars(s.cron);
      } catch (err) {
        if (!(err instanceof CronError)) throw err;
        problems.push({ path: `${path}.cron`, message: `"${s.cron}": ${err.message}; write five fields such as "0 4 * * *"` });
        return;
      }
      if (!isTimeZone(s.timezone)) {
        problems.push({ path: `${path}.timezone`, message: `"${s.timezone}" is not an IANA time zone; use one such as "UTC" or "Europe/Prague"` });
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
        scheduleId,
        configId: s.id,
        configPath: path,
        family: family.name,
        release: s.release,
        kind: s.kind,
        cron: s.cron,
        timezone: s.timezone,
        paused: s.paused,
        spec: { calendars, timezone: s.timezone },
        action: {
          type: 'startWorkflow',
          workflowType: 'scheduledReleaseWorkflow',
          workflowId: `sched/${scheduleId}`,
          taskQueue: config.temporal.taskQueues.orchestration,
          args: [{ template, kind: s.kind }],
          typedSearchAttributes: [
            { key: FedoraRelease, value: s.release },
            { key: ImageFamily, value: family.name },
            { key: ImageKind, value: s.kind },
          ],
        },
        policies: { overlap: OVERLAP, catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
        memo: { [OWNER_MEMO_KEY]: { owner, configId: s.id } },
      });
    }),
  );
  return { schedules, problems };
}

/** The owner named in a schedule's memo, if it is one of ours. */
export function ownerOf(memo: Record<string, unknown> | undefined): string | undefined {
  const mark = memo?.[OWNER_MEMO_KEY];
  if (mark && typeof mark === 'object' && typeof (mark as { owner?: unknown }).owner === 'string') return (mark as { owner: string }).owner;
  return undefined;
}
