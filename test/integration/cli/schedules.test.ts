// `fedimg schedules` against the real dev server: sync is idempotent, follows config changes
// (update, pause, delete), `list` shows the config, an operator's pause survives sync, and two
// triggers of one slot start one image release. Ids, owner and task queue are unique per run.
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../config';
import { TemporalScheduledStartTime } from '../../../domain/search-attributes';
import { desiredSchedules } from '../../../scripts/schedules/desired';
import type { ScheduledReleaseResult } from '../../../workflows/scheduled-release';
import { cli, cliConfig, count, eventually, family, runTag, terminateAll, testClient, withFixtureWorker } from './helpers';

const tag = runTag();
const owner = `cli-test-${tag}`;
const famG = `CliSched-${tag}-Generic`;
const famE = `CliSched-${tag}-Ec2`;
// Cron slots that never come during a test run (29 February): only triggers start anything.
const sched = (id: string, kind: 'nightly' | 'weekly', release: string, paused = false) => ({ id: `${tag}-${id}`, kind, release, cron: '0 3 29 2 *', timezone: 'UTC', paused });

const configA = cliConfig(tag, (c) => [
  family(c, 0, famG, [sched('g-nightly', 'nightly', 'rawhide'), sched('g-weekly', 'weekly', '44')]),
  family(c, 1, famE, [sched('e-nightly', 'nightly', 'rawhide', true)]),
]);
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
  const empty = withSchedules((c) => c.families.forEach((f) => (f.schedules = [])));
  const { client, close } = await testClient();
  try {
    await eventually(async () => {
      await sync(empty);
      return (await Promise.all(['g-nightly', 'g-weekly', 'e-nightly'].map((s) => describeOrNull(client, id(s))))).every((d) => d === null);
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
    ]);

    const second = await sync(configA);
    expect(second.code).toBe(0);
    expect(second.json.changed).toBe(false);
    expect(second.json.items.every((i: { op: string }) => i.op === 'unchanged')).toBe(true);
    const text = await cli(configA, ['schedules', 'sync', '--owner', owner]);
    expect(text.out).toMatch(/^nothing to change: the 3 schedules in namespace \S+ match the configuration/);

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
    ]);
    const text = await cli(configA, ['schedules', 'list', '--owner', owner]);
    expect(text.out).toContain('paused (config)');
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
