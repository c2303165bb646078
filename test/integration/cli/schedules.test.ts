// `fedimg schedules` against the real dev server: sync is idempotent, follows config changes
// (update, pause, delete), `list` shows the config, an operator's pause survives sync, two
// triggers of one slot start one image release, and the retention schedules are synced like the
// release ones and a trigger of the EC2 one runs ec2RetentionWorkflow to completion. Ids, owner
// and task queue are unique per run.
import { CreateTagsCommand, DeregisterImageCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../config';
import { createEc2Activities } from '../../../activities/ec2';
import { createAwsClients } from '../../../clients/aws/clients';
import { TemporalScheduledStartTime } from '../../../domain/search-attributes';
import type { Ec2RetentionResult } from '../../../workflows/ec2';
import { withWorkers } from '../../helpers/temporal';
import { desiredSchedules } from '../../../scripts/schedules/desired';
import type { ScheduledReleaseResult } from '../../../workflows/scheduled-release';
import { cli, cliConfig, count, eventually, family, runTag, terminateAll, testClient, withFixtureWorker } from './helpers';

const tag = runTag();
const owner = `cli-test-${tag}`;
const famG = `CliSched-${tag}-Generic`;
const famE = `CliSched-${tag}-Ec2`;
// Cron slots that never come during a test run (29 February): only triggers start anything.
const sched = (id: string, kind: 'nightly' | 'weekly', release: string, paused = false) => ({ id: `${tag}-${id}`, kind, release, cron: '0 3 29 2 *', timezone: 'UTC', paused });

// Retention: EC2 over two regions as a dry run, Glance over every family publishing to Glance (famG).
const retentionRegions = ['us-east-2', 'eu-west-1'];
function withRetention(c: Config): Config {
  c.retention.ec2.schedules = [{ id: `${tag}-ec2-retention`, regions: retentionRegions, cron: '0 3 29 2 *', timezone: 'UTC', paused: false, dryRun: true }];
  c.retention.glance.schedules = [{ id: `${tag}-glance-retention`, cron: '0 3 29 2 *', timezone: 'UTC', paused: false }];
  return c;
}
const configA = withRetention(
  cliConfig(tag, (c) => [
    family(c, 0, famG, [sched('g-nightly', 'nightly', 'rawhide'), sched('g-weekly', 'weekly', '44')]),
    family(c, 1, famE, [sched('e-nightly', 'nightly', 'rawhide', true)]),
  ]),
);
const RETENTION_IDS = ['ec2-retention', 'glance-retention'];
const withSchedules = (edit: (c: Config) => void): Config => {
  const c = structuredClone(configA);
  edit(c);
  return c;
};
const id = (s: string) => `fedimg-${tag}-${s}`;
const sync = (config: Config) => cli(config, ['schedules', 'sync', '--owner', owner, '--json']);

async function describeOrNull(client: Client, scheduleId: string) {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

afterAll(async () => {
  // A config without schedules deletes everything this run's owner made: cleanup and one more proof.
  const empty = withSchedules((c) => {
    c.families.forEach((f) => (f.schedules = []));
    c.retention.ec2.schedules = [];
    c.retention.glance.schedules = [];
  });
  const { client, close } = await testClient();
  try {
    await eventually(async () => {
      await sync(empty);
      return (await Promise.all(['g-nightly', 'g-weekly', 'e-nightly', ...RETENTION_IDS].map((s) => describeOrNull(client, id(s))))).every((d) => d === null);
    }, 'the test schedules to be deleted');
    await terminateAll(client, `ImageFamily IN ('${famG}', '${famE}')`);
  } finally {
    await close();
  }
});

describe('fedimg schedules', () => {
  it('sync creates the config schedules once; a second sync changes nothing and says so', async () => {
    const first = await sync(configA);
    expect(first.code).toBe(0);
    expect(first.json.changed).toBe(true);
    expect(first.json.items.map((i: { scheduleId: string; op: string }) => [i.scheduleId, i.op])).toEqual([
      [id('g-nightly'), 'created'],
      [id('g-weekly'), 'created'],
      [id('e-nightly'), 'created'],
      [id('ec2-retention'), 'created'],
      [id('glance-retention'), 'created'],
    ]);

    const second = await sync(configA);
    expect(second.code).toBe(0);
    expect(second.json.changed).toBe(false);
    expect(second.json.items.every((i: { op: string }) => i.op === 'unchanged')).toBe(true);
    const text = await cli(configA, ['schedules', 'sync', '--owner', owner]);
    expect(text.out).toMatch(/^nothing to change: the 5 schedules in namespace \S+ match the configuration/);

    const { client, close } = await testClient();
    try {
      const d = await client.schedule.getHandle(id('g-nightly')).describe();
      expect(d.policies).toEqual({ overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false });
      expect(d.action).toMatchObject({ workflowType: 'scheduledReleaseWorkflow', workflowId: `sched/${id('g-nightly')}`, taskQueue: configA.temporal.taskQueues.orchestration });
      expect(d.action.type === 'startWorkflow' && d.action.args).toEqual(JSON.parse(JSON.stringify(desiredSchedules(configA, owner).schedules[0]!.action.args)));
      const sa = d.action.typedSearchAttributes;
      const pairs = sa === undefined ? [] : Array.isArray(sa) ? sa : sa.getAll();
      expect(Object.fromEntries(pairs.map((p) => [p.key.name, p.value]))).toEqual({
        FedoraRelease: 'rawhide',
        ImageFamily: famG,
        ImageKind: 'nightly',
      });
      expect(d.memo).toEqual({ fedimg: { owner, configId: `${tag}-g-nightly` } });
      expect((await client.schedule.getHandle(id('e-nightly')).describe()).state).toMatchObject({ paused: true });

      const ec2 = await client.schedule.getHandle(id('ec2-retention')).describe();
      expect(ec2.action).toMatchObject({ workflowType: 'ec2RetentionWorkflow', workflowId: `sched/${id('ec2-retention')}`, taskQueue: configA.temporal.taskQueues.orchestration });
      expect(ec2.action.type === 'startWorkflow' && ec2.action.args).toEqual([
        {
          olderThanDays: configA.aws.nightlyDeprecateAfterDays,
          stageGapDays: 7,
          dryRun: true,
          regions: retentionRegions,
          maxConcurrentRegions: configA.aws.maxConcurrentRegions,
          announce: { subvariants: { [famG]: 'Cloud_Base', [famE]: 'Cloud_Base' }, rawhideRelease: configA.bus.rawhideRelease },
        },
      ]);
      expect(ec2.memo).toEqual({ fedimg: { owner, configId: `${tag}-ec2-retention` } });
      const glance = await client.schedule.getHandle(id('glance-retention')).describe();
      expect(glance.action).toMatchObject({ workflowType: 'glanceRetentionWorkflow' });
      expect(glance.action.type === 'startWorkflow' && glance.action.args).toEqual([
        {
          families: [{ name: famG, subvariant: 'Cloud_Base' }],
          olderThanDays: 14,
          keepLatest: 1,
          dryRun: false,
          announce: { region: configA.openstack.region, rawhideRelease: configA.bus.rawhideRelease },
        },
      ]);
    } finally {
      await close();
    }
  });

  it('schedules list matches the config', async () => {
    const r = await cli(configA, ['schedules', 'list', '--owner', owner, '--json']);
    expect(r.code).toBe(0);
    const rows = r.json.schedules.map((s: Record<string, unknown>) => [s.scheduleId, s.family, s.release, s.kind, s.cron, s.timezone, s.paused, s.pausedBy ?? null, s.differences]);
    expect(rows).toEqual([
      [id('g-nightly'), famG, 'rawhide', 'nightly', '0 3 29 2 *', 'UTC', false, null, []],
      [id('g-weekly'), famG, '44', 'weekly', '0 3 29 2 *', 'UTC', false, null, []],
      [id('e-nightly'), famE, 'rawhide', 'nightly', '0 3 29 2 *', 'UTC', true, 'config', []],
      [id('ec2-retention'), undefined, undefined, 'ec2-retention', '0 3 29 2 *', 'UTC', false, null, []],
      [id('glance-retention'), undefined, undefined, 'glance-retention', '0 3 29 2 *', 'UTC', false, null, []],
    ]);
    const scopes = Object.fromEntries(r.json.schedules.map((s: Record<string, unknown>) => [s.scheduleId, [s.scope, s.dryRun ?? null]]));
    expect(scopes[id('ec2-retention')]).toEqual(['regions us-east-2, eu-west-1', true]);
    expect(scopes[id('glance-retention')]).toEqual([`families ${famG}`, false]);
    expect(scopes[id('g-nightly')]).toEqual([`${famG} rawhide`, null]);
    const text = await cli(configA, ['schedules', 'list', '--owner', owner]);
    expect(text.out).toContain('paused (config)');
    expect(text.out).toMatch(new RegExp(`${id('ec2-retention')}\\s+ec2-retention \\(dry run\\)\\s+regions us-east-2, eu-west-1`));
    expect(text.out).toMatch(new RegExp(`${id('glance-retention')}\\s+glance-retention\\s+families ${famG}`));
    expect(text.out).not.toContain('run `fedimg schedules sync`');
  });

  it('refuses to unpause a schedule the config pauses, unless forced', async () => {
    const r = await cli(configA, ['schedules', 'unpause', `${tag}-e-nightly`, '--owner', owner]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`set paused: false at families[1].schedules[0].paused and run \`fedimg schedules sync\``);
  });

  it('a config change updates only what changed; a manual pause survives sync', async () => {
    const configB = withSchedules((c) => {
      c.families[0]!.schedules[0]!.cron = '30 2 29 2 *';
      c.families[1]!.schedules[0]!.paused = false;
    });
    const r = await sync(configB);
    expect(r.code).toBe(0);
    expect(r.json.items.map((i: { scheduleId: string; op: string; changes: string[] }) => [i.scheduleId, i.op, i.changes])).toEqual([
      [id('g-nightly'), 'updated', ['spec.calendars']],
      [id('g-weekly'), 'unchanged', []],
      [id('e-nightly'), 'updated', ['state.paused']],
      [id('ec2-retention'), 'unchanged', []],
      [id('glance-retention'), 'unchanged', []],
    ]);
    const { client, close } = await testClient();
    try {
      const d = await client.schedule.getHandle(id('g-nightly')).describe();
      expect(d.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 30, end: 30, step: 1 }], hour: [{ start: 2, end: 2, step: 1 }] });
      expect((await client.schedule.getHandle(id('e-nightly')).describe()).state.paused).toBe(false);

      const paused = await cli(configB, ['schedules', 'pause', `${tag}-g-weekly`, '--reason', 'Koji outage', '--owner', owner]);
      expect(paused.code).toBe(0);
      const again = await sync(configB);
      expect(again.json.changed).toBe(false);
      expect(again.json.items[1]).toMatchObject({ op: 'unchanged', notes: [expect.stringContaining('kept a manual pause: paused by hand: Koji outage (cli-test')] });
      expect((await client.schedule.getHandle(id('g-weekly')).describe()).state.paused).toBe(true);

      expect((await cli(configB, ['schedules', 'unpause', id('g-weekly'), '--owner', owner])).code).toBe(0);
      expect((await client.schedule.getHandle(id('g-weekly')).describe()).state.paused).toBe(false);
    } finally {
      await close();
    }
  });

  it('a schedule removed from the config is deleted; others are kept', async () => {
    const configC = withSchedules((c) => {
      c.families[0]!.schedules = [c.families[0]!.schedules[0]!];
      c.families[0]!.schedules[0]!.cron = '30 2 29 2 *';
      c.families[1]!.schedules[0]!.paused = false;
    });
    const { client, close } = await testClient();
    try {
      // Deletions come from the schedule list, which is eventually consistent.
      await eventually(async () => {
        for await (const s of client.schedule.list()) if (s.scheduleId === id('g-weekly')) return true;
        return false;
      }, 'the schedule list to show g-weekly');
      const r = await sync(configC);
      expect(r.code).toBe(0);
      expect(r.json.items.map((i: { scheduleId: string; op: string }) => [i.scheduleId, i.op])).toEqual([
        [id('g-nightly'), 'unchanged'],
        [id('e-nightly'), 'unchanged'],
        [id('ec2-retention'), 'unchanged'],
        [id('glance-retention'), 'unchanged'],
        [id('g-weekly'), 'deleted'],
      ]);
      expect(await describeOrNull(client, id('g-weekly'))).toBeNull();
      expect(await describeOrNull(client, id('g-nightly'))).not.toBeNull();
    } finally {
      await close();
    }
  });

  it('two triggers of one slot start one image release', async () => {
    await withFixtureWorker(configA, async (client) => {
      const results: ScheduledReleaseResult[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await cli(configA, ['schedules', 'trigger', `${tag}-g-nightly`, '--owner', owner, '--json']);
        expect(r.code).toBe(0);
        expect(r.json.workflowId).toMatch(new RegExp(`^sched/${id('g-nightly')}-`));
        results.push(await client.workflow.getHandle(r.json.workflowId).result());
        // Temporal names a triggered run by the second: the next trigger must not reuse the name.
        await new Promise((res) => setTimeout(res, 1_100));
      }
      expect(results.map((r) => r.started)).toEqual([true, false]);
      expect(results[1]!.imageWorkflowId).toBe(results[0]!.imageWorkflowId);
      expect(results[0]!.imageWorkflowId).toMatch(new RegExp(`^image/${famG}/rawhide/Rawhide-\\d{8}\\.n\\.0$`));
      await eventually(async () => (await count(client, `WorkflowType = 'imageReleaseWorkflow' AND ImageFamily = '${famG}'`)) === 1, 'one image release');
      expect(await count(client, `WorkflowId = '${results[0]!.imageWorkflowId}'`)).toBe(1);
    });
  });

  it('two starters with the same scheduled time start one image release', async () => {
    await withFixtureWorker(configA, async (client) => {
      const [weekly] = desiredSchedules(configA, owner).schedules.filter((s) => s.kind === 'weekly');
      const slot = new Date('2026-01-05T06:00:00Z');
      const results = await Promise.all(
        ['a', 'b'].map((n) =>
          client.workflow.execute('scheduledReleaseWorkflow', {
            taskQueue: configA.temporal.taskQueues.orchestration,
            workflowId: `sched/${tag}-direct-${n}`,
            args: weekly!.action.args,
            typedSearchAttributes: [{ key: TemporalScheduledStartTime, value: slot }],
          }) as Promise<ScheduledReleaseResult>,
        ),
      );
      expect(results.map((r) => r.started).sort()).toEqual([false, true]);
      expect(results[0]!.imageWorkflowId).toBe(`image/${famG}/44/44-20260105.weekly`);
      expect(results[1]!.imageWorkflowId).toBe(results[0]!.imageWorkflowId);
      await eventually(async () => (await count(client, `WorkflowId = '${results[0]!.imageWorkflowId}'`)) === 1, 'the release in visibility');
    });
  });
});

describe('fedimg schedules: retention', () => {
  // An owner and task queue of its own: the real workflows run here, not the fixture stand-ins.
  const rTag = runTag();
  const rOwner = `cli-test-${rTag}`;
  const scheduleId = `fedimg-${rTag}-ec2-retention`;
  const configR = cliConfig(rTag, (c) => [family(c, 1, `CliRet-${rTag}`)]);
  configR.retention.ec2.schedules = [{ id: `${rTag}-ec2-retention`, regions: retentionRegions, cron: '0 3 29 2 *', timezone: 'UTC', paused: false, dryRun: true }];
  configR.retention.glance.schedules = [];

  afterAll(async () => {
    const empty = structuredClone(configR);
    empty.retention.ec2.schedules = [];
    const { client, close } = await testClient();
    try {
      await eventually(async () => {
        await cli(empty, ['schedules', 'sync', '--owner', rOwner, '--json']);
        return (await describeOrNull(client, scheduleId)) === null;
      }, 'the retention schedule to be deleted');
    } finally {
      await close();
    }
  });

  it('a trigger of the EC2 retention schedule runs ec2RetentionWorkflow over its regions to completion (dry run)', async () => {
    const synced = await cli(configR, ['schedules', 'sync', '--owner', rOwner, '--json']);
    expect(synced.code).toBe(0);
    expect(synced.json.items.map((i: { scheduleId: string; op: string }) => [i.scheduleId, i.op])).toEqual([[scheduleId, 'created']]);

    // A managed nightly in one of the schedule's regions: the run must list it, and keep it (too young).
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const aws = createAwsClients({ endpoint: configR.aws.endpoint ?? 'http://127.0.0.1:14566' });
    const ec2 = aws.ec2('eu-west-1');
    const { ImageId } = await ec2.send(new RegisterImageCommand({ Name: `cli-ret-${rTag}`, Architecture: 'x86_64', RootDeviceName: '/dev/sda1' }));
    const imageId = ImageId ?? '';
    try {
      await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: 'fedimg:managed', Value: 'true' }, { Key: 'ImageKind', Value: 'nightly' }] }));
      const activities = createEc2Activities({ clients: aws });
      await withWorkers([{ taskQueue: configR.temporal.taskQueues.orchestration, activities }], async (client) => {
        const r = await cli(configR, ['schedules', 'trigger', `${rTag}-ec2-retention`, '--owner', rOwner, '--json']);
        expect(r.code).toBe(0);
        expect(r.json.workflowId).toMatch(new RegExp(`^sched/${scheduleId}-`));
        const handle = client.workflow.getHandle(r.json.workflowId);
        const result = (await handle.result()) as Ec2RetentionResult;
        expect((await handle.describe()).type).toBe('ec2RetentionWorkflow');
        expect(result.dryRun).toBe(true);
        expect(result.regionErrors).toEqual([]);
        expect(result.actions.every((a) => a.outcome === 'planned' && retentionRegions.includes(a.region))).toBe(true);
        expect(result.kept.find((k) => k.imageId === imageId)).toMatchObject({ region: 'eu-west-1', reason: expect.stringMatching(/days old$/) });
      });
      const text = await cli(configR, ['schedules', 'list', '--owner', rOwner]);
      expect(text.out).toMatch(new RegExp(`${scheduleId}\\s+ec2-retention \\(dry run\\)`));
    } finally {
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId })).catch(() => undefined);
      aws.destroy();
    }
  });
});
