// Schedules as data: cron -> calendars (the shape the server describes), the config -> desired
// schedules, and the diff/plan that makes `schedules sync` idempotent.
import { describe, expect, it } from 'vitest';
import { CronError, cronToCalendars } from '../../../scripts/schedules/cron';
import { CATCHUP_WINDOW_MS, CONFIG_PAUSE_NOTE, desiredSchedules, isRelease, type DesiredSchedule } from '../../../scripts/schedules/desired';
import { diffSchedule, planDeletions, planSchedule, type ActualSchedule } from '../../../scripts/schedules/diff';
import base from '../../../temporal.config';
import { loadConfig } from '../../../config/load';
import { testConfig } from './helpers';

describe('cron to calendars', () => {
  it('gives exactly what the server describes for "0 4 * * 1" (recorded from the dev server)', () => {
    expect(cronToCalendars('0 4 * * 1')).toEqual([
      {
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
        hour: [{ start: 4, end: 4, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
        year: [],
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
        comment: '',
      },
    ]);
  });

  it('reads lists, ranges, steps, names and Sunday as 7', () => {
    const [c] = cronToCalendars('*/15 1-5,22 * jan-mar SUN,7');
    expect(c?.minute).toEqual([{ start: 0, end: 59, step: 15 }]);
    expect(c?.hour).toEqual([
      { start: 1, end: 5, step: 1 },
      { start: 22, end: 22, step: 1 },
    ]);
    expect(c?.month).toEqual([{ start: 'JANUARY', end: 'MARCH', step: 1 }]);
    expect(c?.dayOfWeek).toEqual([
      { start: 'SUNDAY', end: 'SUNDAY', step: 1 },
      { start: 'SUNDAY', end: 'SUNDAY', step: 1 },
    ]);
  });

  it('makes two calendars when both day fields are restricted (cron fires on either)', () => {
    const cals = cronToCalendars('0 0 1 * 1');
    expect(cals).toHaveLength(2);
    expect(cals[0]?.dayOfMonth).toEqual([{ start: 1, end: 1, step: 1 }]);
    expect(cals[0]?.dayOfWeek).toEqual([{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }]);
    expect(cals[1]?.dayOfMonth).toEqual([{ start: 1, end: 31, step: 1 }]);
    expect(cals[1]?.dayOfWeek).toEqual([{ start: 'MONDAY', end: 'MONDAY', step: 1 }]);
  });

  it.each([
    ['0 4 * *', 'expected five fields'],
    ['61 4 * * *', 'minute: 61 is outside 0-59'],
    ['0 5-3 * * *', 'hour: range "5-3" ends before it starts'],
    ['0 4 * foo *', 'month: "foo" is not a number or a name such as JAN'],
  ])('refuses %s naming the field', (cron, message) => {
    expect(() => cronToCalendars(cron)).toThrow(CronError);
    expect(() => cronToCalendars(cron)).toThrow(message);
  });
});

function desiredOf(edit?: Parameters<typeof testConfig>[0]): DesiredSchedule[] {
  const { schedules, problems } = desiredSchedules(testConfig(edit), 'fedimg');
  expect(problems).toEqual([]);
  return schedules;
}

/** What describe returns for a schedule sync created from `d` (no drift). */
function described(d: DesiredSchedule, state: ActualSchedule['state'] = { paused: d.paused, ...(d.paused ? { note: CONFIG_PAUSE_NOTE } : {}) }): ActualSchedule {
  return {
    spec: { calendars: structuredClone(d.spec.calendars), intervals: [], skip: [], timezone: d.spec.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: d.action.workflowType,
      workflowId: d.action.workflowId,
      taskQueue: d.action.taskQueue,
      args: JSON.parse(JSON.stringify(d.action.args)) as unknown[],
      memo: {},
      typedSearchAttributes: [...d.action.typedSearchAttributes],
    },
    policies: { ...d.policies },
    state,
    memo: structuredClone(d.memo),
  };
}

describe('desired schedules', () => {
  it('one per configured schedule: fedimg- id, SKIP, a day of catch-up, the starter workflow with the family template', () => {
    const [d] = desiredOf().filter(isRelease);
    expect(d).toMatchObject({
      scheduleId: 'fedimg-cloud-base-generic-rawhide-nightly',
      configPath: 'families[0].schedules[0]',
      policies: { overlap: 'SKIP', catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
      memo: { fedimg: { owner: 'fedimg', configId: 'cloud-base-generic-rawhide-nightly' } },
      action: { workflowType: 'scheduledReleaseWorkflow', workflowId: 'sched/fedimg-cloud-base-generic-rawhide-nightly', taskQueue: 'fedimg' },
    });
    const [arg] = d!.action.args;
    expect(arg.kind).toBe('nightly');
    // The run dates the build name in the schedule's zone (scheduledReleaseWorkflow).
    expect(arg.timezone).toBe('UTC');
    expect(arg.template).toMatchObject({ release: 'rawhide', family: { name: 'Cloud-Base-Generic' }, scratch: true });
    expect(arg.template).not.toHaveProperty('name');
    expect(arg.template).not.toHaveProperty('kind');
    expect(Object.fromEntries(d!.action.typedSearchAttributes.map((p) => [p.key.name, p.value]))).toEqual({
      FedoraRelease: 'rawhide',
      ImageFamily: 'Cloud-Base-Generic',
      ImageKind: 'nightly',
    });
    expect(desiredOf().filter(isRelease)).toHaveLength(3);
  });

  it('reports a bad cron or time zone with its config path', () => {
    const { problems } = desiredSchedules(
      testConfig((c) => {
        c.families[0]!.schedules[0]!.cron = '0 25 * * *';
        c.families[0]!.schedules[1]!.timezone = 'Mars/Olympus';
      }),
    );
    expect(problems).toEqual([
      { path: 'families[0].schedules[0].cron', message: '"0 25 * * *": hour: 25 is outside 0-23; write five fields such as "0 4 * * *"' },
      { path: 'families[0].schedules[1].timezone', message: '"Mars/Olympus" is not an IANA time zone; use one such as "UTC" or "Europe/Prague"' },
    ]);
  });
});

describe('schedule diff', () => {
  const [want] = desiredOf();
  const w = want!;

  it('finds nothing to change in a schedule sync made', () => {
    expect(diffSchedule(w, described(w))).toEqual({ changed: [] });
    expect(planSchedule(w, described(w), 'fedimg')).toMatchObject({ op: 'unchanged', changes: [] });
  });

  it('names each field that differs', () => {
    const [changedCron] = desiredOf((c) => {
      c.families[0]!.schedules[0]!.cron = '0 5 * * *';
      c.families[0]!.schedules[0]!.timezone = 'Europe/Prague';
    });
    // The zone is in the spec and, for the build's name, in the starter's input.
    expect(diffSchedule(changedCron!, described(w)).changed).toEqual(['spec.calendars', 'spec.timezone', 'action.args']);

    const [changedTemplate] = desiredOf((c) => {
      c.koji.poll.maxSeconds = 600;
    });
    expect(diffSchedule(changedTemplate!, described(w)).changed).toEqual(['action.args']);

    const [changedQueue] = desiredOf((c) => {
      c.temporal.taskQueues.orchestration = 'elsewhere';
    });
    expect(diffSchedule(changedQueue!, described(w)).changed).toEqual(['action.taskQueue', 'action.args']);

    const drifted = described(w);
    drifted.policies = { overlap: 'ALLOW_ALL', catchupWindow: 60_000, pauseOnFailure: true };
    drifted.spec.intervals = [{ every: 3600000 }];
    drifted.action.typedSearchAttributes = [];
    expect(diffSchedule(w, drifted).changed).toEqual([
      'spec.intervals',
      'action.searchAttributes',
      'policies.overlap',
      'policies.catchupWindow',
      'policies.pauseOnFailure',
    ]);
  });

  it('pauses and unpauses by the config, and keeps an operator pause', () => {
    const [paused] = desiredOf((c) => {
      c.families[0]!.schedules[0]!.paused = true;
    });
    expect(diffSchedule(paused!, described(w))).toEqual({ changed: [], pause: 'pause' });
    expect(planSchedule(paused!, described(w), 'fedimg')).toMatchObject({ op: 'update', changes: ['state.paused'], pause: 'pause' });
    // The config no longer pauses it: its own pause is lifted…
    expect(diffSchedule(w, described(w, { paused: true, note: CONFIG_PAUSE_NOTE }))).toEqual({ changed: [], pause: 'unpause' });
    // …but a pause by hand stays, and sync says so.
    const manual = described(w, { paused: true, note: 'paused by hand: Koji outage (alice)' });
    expect(diffSchedule(w, manual)).toEqual({ changed: [], keptManualPause: 'paused by hand: Koji outage (alice)' });
    expect(planSchedule(w, manual, 'fedimg')).toMatchObject({ op: 'unchanged', notes: ['kept a manual pause: paused by hand: Koji outage (alice)'] });
    // Paused by config and by hand: nothing to do.
    expect(diffSchedule(paused!, manual)).toEqual({ changed: [] });
  });

  it('creates what is missing and refuses to touch a schedule someone else owns', () => {
    expect(planSchedule(w, undefined, 'fedimg')).toMatchObject({ op: 'create' });
    const foreign = described(w);
    foreign.memo = {};
    expect(planSchedule(w, foreign, 'fedimg')).toMatchObject({ op: 'conflict', notes: [expect.stringContaining('rename families[0].schedules[0].id')] });
    expect(planSchedule(w, described(w), 'staging')).toMatchObject({ op: 'conflict', notes: [expect.stringContaining('belongs to owner "fedimg"')] });
  });

  it('deletes only our-owner, fedimg- schedules the config no longer has', () => {
    const owned = [
      { scheduleId: 'fedimg-keep', memo: { fedimg: { owner: 'fedimg' } } },
      { scheduleId: 'fedimg-gone', memo: { fedimg: { owner: 'fedimg' } } },
      { scheduleId: 'fedimg-other-owner', memo: { fedimg: { owner: 'staging' } } },
      { scheduleId: 'fedimg-unmarked', memo: {} },
      { scheduleId: 'someone-else', memo: { fedimg: { owner: 'fedimg' } } },
    ];
    expect(planDeletions(new Set(['fedimg-keep']), owned, 'fedimg', 'fedimg-').map((p) => [p.scheduleId, p.op])).toEqual([['fedimg-gone', 'delete']]);
  });
});

describe('retention schedules', () => {
  const load = (env: Record<string, string>) => loadConfig({ base, env });
  const problemsOf = (env: Record<string, string>) => {
    const r = load(env);
    if (r.ok) throw new Error('expected the config to be refused');
    return r.problems;
  };

  it('the shipped config schedules EC2 retention over every region and Glance retention over every Glance family', () => {
    const byKind = Object.fromEntries(desiredOf().filter((d) => !isRelease(d)).map((d) => [d.kind, d]));
    expect(byKind['ec2-retention']).toMatchObject({
      scheduleId: 'fedimg-ec2-nightly-retention',
      configPath: 'retention.ec2.schedules[0]',
      cron: '15 7 * * *',
      paused: false,
      policies: { overlap: 'SKIP', catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
      memo: { fedimg: { owner: 'fedimg', configId: 'ec2-nightly-retention' } },
      action: {
        workflowType: 'ec2RetentionWorkflow',
        workflowId: 'sched/fedimg-ec2-nightly-retention',
        taskQueue: 'fedimg',
        // Deprecation starts at the date publishing already set (aws.nightlyDeprecateAfterDays).
        args: [
          {
            olderThanDays: 30,
            stageGapDays: 7,
            dryRun: false,
            regions: testConfig().aws.regions,
            maxConcurrentRegions: 8,
            announce: { subvariants: { 'Cloud-Base-Generic': 'Cloud_Base', 'Cloud-Base-AmazonEC2': 'Cloud_Base', 'Cloud-Base-Oz': 'Cloud_Base' }, rawhideRelease: 46 },
          },
        ],
      },
    });
    expect(byKind['glance-retention']).toMatchObject({
      scheduleId: 'fedimg-glance-nightly-retention',
      configPath: 'retention.glance.schedules[0]',
      action: {
        workflowType: 'glanceRetentionWorkflow',
        workflowId: 'sched/fedimg-glance-nightly-retention',
        // Only Cloud-Base-Generic publishes to Glance in the shipped config.
        args: [
          {
            families: [{ name: 'Cloud-Base-Generic', subvariant: 'Cloud_Base' }],
            olderThanDays: 14,
            keepLatest: 1,
            dryRun: false,
            announce: { region: 'RegionOne', rawhideRelease: 46 },
          },
        ],
      },
    });
  });

  it('one EC2 schedule per region set, each with its own dry-run and pause; the section default applies otherwise', () => {
    const schedules = desiredOf((c) => {
      c.retention.dryRun = true;
      c.retention.ec2.olderThanDays = 60;
      c.retention.ec2.schedules = [
        { id: 'ec2-us', regions: ['us-east-1', 'us-west-2'], cron: '0 7 * * *', timezone: 'UTC', paused: false, dryRun: false },
        { id: 'ec2-eu', regions: ['eu-west-1'], cron: '0 8 * * *', timezone: 'Europe/Prague', paused: true },
      ];
    }).filter((d) => d.kind === 'ec2-retention');
    expect(schedules.map((d) => [d.scheduleId, d.paused, d.action.args[0]])).toEqual([
      ['fedimg-ec2-us', false, expect.objectContaining({ regions: ['us-east-1', 'us-west-2'], dryRun: false, olderThanDays: 60 })],
      ['fedimg-ec2-eu', true, expect.objectContaining({ regions: ['eu-west-1'], dryRun: true, olderThanDays: 60 })],
    ]);
  });

  it('a changed retention age is an args change for sync, like any other', () => {
    const want = desiredOf().find((d) => d.kind === 'glance-retention')!;
    const [older] = desiredOf((c) => {
      c.retention.glance.olderThanDays = 21;
    }).filter((d) => d.kind === 'glance-retention');
    expect(diffSchedule(older!, described(want)).changed).toEqual(['action.args']);
  });

  it('reports a bad retention cron or time zone with its config path', () => {
    const { problems } = desiredSchedules(
      testConfig((c) => {
        c.retention.ec2.schedules[0]!.cron = '0 7 * * 8';
        c.retention.glance.schedules[0]!.timezone = 'UTC+2';
      }),
    );
    expect(problems).toEqual([
      { path: 'retention.ec2.schedules[0].cron', message: '"0 7 * * 8": day of week: 8 is outside 0-7; write five fields such as "0 4 * * *"' },
      { path: 'retention.glance.schedules[0].timezone', message: '"UTC+2" is not an IANA time zone; use one such as "UTC" or "Europe/Prague"' },
    ]);
  });

  it('the settings refuse a retention schedule id used twice, a family that does not publish to Glance, and bad ages, naming the field', () => {
    expect(
      problemsOf({
        FEDIMG__RETENTION__EC2__STAGE_GAP_DAYS: '-1',
        FEDIMG__RETENTION__EC2__SCHEDULES: JSON.stringify([{ id: 'ec2', regions: ['eu-westt'], cron: '0 7 * * *', timezone: 'UTC' }]),
      }),
    ).toEqual([
      'retention.ec2.stageGapDays: expected ≥ 0, found -1',
      'retention.ec2.schedules[0].regions[0]: expected an AWS region such as eu-west-1, found "eu-westt"',
    ]);
    expect(
      problemsOf({
        FEDIMG__RETENTION__GLANCE__SCHEDULES: JSON.stringify([
          { id: 'cloud-base-generic-rawhide-nightly', cron: '0 7 * * *', timezone: 'UTC' },
          { id: 'glance-2', families: ['Cloud-Base-AmazonEC2'], cron: '0 7 * * *', timezone: 'UTC' },
        ]),
      }),
    ).toEqual([
      'retention.glance.schedules[0].id: expected a schedule id used nowhere else in families[].schedules or retention, found "cloud-base-generic-rawhide-nightly"',
      'retention.glance.schedules[1].families[0]: expected a family whose destinations include glance (Cloud-Base-Generic), found "Cloud-Base-AmazonEC2"',
    ]);
  });

  it('a config without a retention section has no retention schedules', () => {
    const { retention: _r, ...rest } = base;
    const r = loadConfig({ base: rest, env: {} });
    expect(r.ok && r.config.retention).toEqual({ dryRun: false, ec2: { stageGapDays: 7, schedules: [] }, glance: { olderThanDays: 14, keepLatest: 1, schedules: [] } });
    expect(r.ok && desiredSchedules(r.config).schedules.filter((d) => !isRelease(d))).toEqual([]);
  });
});
